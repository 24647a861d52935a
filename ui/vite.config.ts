import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The server serves the built page at / and its files under /ui/; the dev
// server proxies the API to a server on :8000 (make run).
export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: {
    outDir: '../internal/webui/dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    port: 5173,
    proxy: { '/api': 'http://localhost:8000' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
})
