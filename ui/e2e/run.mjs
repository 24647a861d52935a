// End-to-end tests of the web UI in a real browser (Debian's Chromium via
// playwright-core) against the built binary on a temp DATA_DIR and a local
// upstream. Screenshots of every page go to e2e/artifacts/.
import { chromium } from 'playwright-core'
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'

const here = dirname(fileURLToPath(import.meta.url))
const artifacts = join(here, 'artifacts')
const bin = process.env.ARTIFACTAPI_BIN ?? join(here, '../../bin/artifactapi')
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium'
const token = 'ui-e2e-token-0123456789abcdef'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// The upstream: a small file at once, an 8 MiB one dripped over ~4 s so the
// fill's progress can be watched.
const big = Buffer.alloc(8 << 20, 'x')
const upstream = createServer(async (req, res) => {
  if (req.url === '/small.txt') return res.end('small file\n')
  if (req.url.startsWith('/pkg/')) return res.end(`file ${req.url}\n`)
  if (req.url === '/big.bin') {
    res.writeHead(200, { 'Content-Length': big.length, 'Content-Type': 'application/octet-stream' })
    for (let i = 0; i < big.length; i += 256 << 10) {
      if (!res.write(big.subarray(i, i + (256 << 10)))) await new Promise((r) => res.once('drain', r))
      await sleep(120)
    }
    return res.end()
  }
  res.writeHead(404).end('not here')
})
await new Promise((r) => upstream.listen(0, '127.0.0.1', r))
const upURL = `http://127.0.0.1:${upstream.address().port}/`

const freePort = () =>
  new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => r(p))
    })
  })
const port = await freePort()
const base = `http://127.0.0.1:${port}`
const dataDir = mkdtempSync(join(tmpdir(), 'artifactapi-ui-e2e-'))
const server = spawn(bin, [], {
  env: { ...process.env, DATA_DIR: dataDir, LISTEN_ADDR: `127.0.0.1:${port}`, ADMIN_TOKEN: token, UPSTREAM_ALLOW_PRIVATE: 'true' },
  stdio: ['ignore', 'ignore', 'pipe'],
})
let serverLog = ''
server.stderr.on('data', (d) => (serverLog += d))

async function apiCall(method, path, body) {
  const r = await fetch(base + path, { method, headers: { Authorization: `Bearer ${token}` }, body: body && JSON.stringify(body) })
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`)
  return r
}

let browser
let failed = false
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(base + '/api/v2/health')).ok) break
    } catch {}
    if (i > 200) throw new Error('the server did not start:\n' + serverLog)
    await sleep(50)
  }
  rmSync(artifacts, { recursive: true, force: true })
  mkdirSync(artifacts, { recursive: true })
  browser = await chromium.launch({
    executablePath: browserPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
  await desktop(browser)
  await phone(browser)
  console.log('ui e2e: all passed; screenshots in', artifacts)
} catch (e) {
  failed = true
  console.error('ui e2e FAILED:', e)
} finally {
  await browser?.close()
  server.kill('SIGTERM')
  upstream.close()
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)

// newPage opens a page that fails the run on any console error.
async function newPage(b, opts) {
  const ctx = await b.newContext(opts)
  const page = await ctx.newPage()
  const errors = []
  // The browser logs every 4xx answer; a refused token and a refused form
  // are steps of these tests, anything else is a failure.
  const expected = /^Failed to load resource: the server responded with a status of (400|401) /
  page.on('console', (m) => m.type() === 'error' && !expected.test(m.text()) && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(String(e)))
  page.setDefaultTimeout(15000)
  return { ctx, page, errors }
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
}

async function signIn(page) {
  await page.goto(base + '/')
  await page.getByLabel('Admin token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
}

async function desktop(b) {
  const { ctx, page, errors } = await newPage(b, { viewport: { width: 1280, height: 900 }, colorScheme: 'light' })

  // Sign-in: a wrong token is refused, the right one opens the dashboard.
  await page.goto(base + '/')
  await page.getByRole('heading', { name: 'ArtifactAPI' }).waitFor()
  await shot(page, 'desktop-signin')
  await page.getByLabel('Admin token').fill('not-the-token')
  await page.keyboard.press('Enter')
  await page.getByText('That token was refused.').waitFor()
  await signIn(page)

  // Create a remote: server validation shows next to its field.
  await page.getByRole('link', { name: 'Remotes' }).click()
  await page.getByRole('link', { name: 'New remote' }).click()
  await page.getByLabel('Name', { exact: true }).fill('files')
  await page.getByLabel('Upstream URL', { exact: true }).fill('ftp://example.invalid/')
  await page.getByLabel('Mutable TTL (s)', { exact: true }).fill('an hour')
  await page.getByRole('button', { name: 'Create' }).click()
  await page.locator('#f-mutable_ttl-error').getByText('a whole number').waitFor()
  await page.getByLabel('Mutable TTL (s)', { exact: true }).fill('600')
  await page.getByRole('button', { name: 'Create' }).click()
  const urlError = page.locator('#f-base_url-error')
  await urlError.waitFor()
  assert.match(await urlError.textContent(), /base_url/)
  assert.equal(await page.getByLabel('Upstream URL', { exact: true }).getAttribute('aria-invalid'), 'true')
  await shot(page, 'desktop-remote-validation')
  await page.getByLabel('Upstream URL', { exact: true }).fill(upURL)
  await page.getByRole('button', { name: 'Create' }).click()
  await page.getByRole('heading', { name: 'Remote files' }).waitFor()
  const snippet = await page.locator('pre.snippet').textContent()
  assert.ok(snippet.includes(`${base}/api/v1/remote/files/`), `snippet names this server: ${snippet}`)
  await shot(page, 'desktop-remote-detail')

  // A fill in flight shows its progress on the dashboard, then the hit.
  await page.getByRole('link', { name: 'Dashboard' }).click()
  await page.locator('.stream.on').waitFor()
  const fill = fetch(`${base}/api/v1/remote/files/big.bin`).then((r) => r.arrayBuffer())
  const bar = page.locator('.fills li', { hasText: 'files/big.bin' })
  await bar.locator('progress').waitFor()
  await page.waitForFunction(() => {
    const p = document.querySelector('.fills li progress')
    return p && p.value > 0 && p.value < p.max
  })
  assert.match(await bar.textContent(), /\d+% · .* of 8\.00 MiB/)
  await shot(page, 'desktop-dashboard-fill')
  assert.equal((await fill).byteLength, big.length)
  await page.getByText('Nothing downloading.').waitFor()
  await (await fetch(`${base}/api/v1/remote/files/big.bin`)).arrayBuffer()
  await (await fetch(`${base}/api/v1/remote/files/small.txt`)).text()
  await page.locator('.badge-hit').first().waitFor()
  await page.locator('.badge-miss').first().waitFor()
  // Counters are flushed each second and the page reads them every 3 s.
  await page.waitForFunction(() => {
    const row = [...document.querySelectorAll('section table tr')].find((tr) => tr.querySelector('a')?.textContent === 'files')
    return row && Number(row.children[1].textContent) >= 1
  })
  await page.getByTestId('total-bandwidth-saved').getByText('8.00 MiB').waitFor()
  await shot(page, 'desktop-dashboard')

  // Objects: browse, evict one after confirming. The dashboard's last
  // requests list big.bin too: its cells are looked for once the page
  // changed (a run once found the dashboard's two).
  await page.getByRole('link', { name: 'Objects' }).click()
  await page.getByRole('heading', { name: 'Objects', level: 1 }).waitFor()
  await page.getByRole('navigation', { name: 'Path' }).waitFor()
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor()
  await page.getByRole('cell', { name: 'small.txt', exact: true }).waitFor()
  await shot(page, 'desktop-objects')
  await page.getByRole('button', { name: 'Evict big.bin' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByText('Evict big.bin?').waitFor()
  await dialog.getByRole('button', { name: 'Evict' }).click()
  await page.getByText('Evicted 1 object.').waitFor()
  await page.getByRole('cell', { name: 'big.bin', exact: true }).waitFor({ state: 'detached' })
  await page.getByRole('cell', { name: 'small.txt', exact: true }).waitFor()

  // Folders: browse into one, evict everything under it.
  for (const p of ['pkg/a/1.txt', 'pkg/a/2.txt', 'pkg/b.txt']) await (await fetch(`${base}/api/v1/remote/files/${p}`)).text()
  await page.getByRole('button', { name: 'Refresh' }).click()
  await page.getByRole('link', { name: '📁 pkg/' }).click()
  await page.getByRole('link', { name: '📁 a/' }).waitFor()
  await page.getByRole('cell', { name: 'b.txt', exact: true }).waitFor()
  await page.getByRole('link', { name: '📁 a/' }).click()
  await page.getByRole('cell', { name: '2.txt', exact: true }).waitFor()
  await shot(page, 'desktop-objects-folder')
  await page.getByRole('button', { name: 'Evict this folder' }).click()
  await dialog.getByText('Evict everything under pkg/a/ in files?').waitFor()
  await dialog.getByRole('button', { name: 'Evict' }).click()
  await page.getByText('Evicted 2 objects.').waitFor()
  await page.getByRole('navigation', { name: 'Path' }).getByRole('link', { name: 'pkg' }).click()
  await page.getByRole('cell', { name: 'b.txt', exact: true }).waitFor()
  assert.equal(await page.getByRole('link', { name: '📁 a/' }).count(), 0)

  // A virtual with two members, reordered with the buttons.
  await apiCall('POST', '/api/v2/remotes', { name: 'mirror', package_type: 'generic', base_url: upURL })
  await page.goto(base + '/#/virtuals/new')
  await page.getByLabel('Name', { exact: true }).fill('all-files')
  for (const m of ['files', 'mirror']) {
    await page.getByLabel('Remote to add').selectOption(m)
    await page.getByRole('button', { name: 'Add', exact: true }).click()
  }
  await page.getByRole('button', { name: 'Move mirror up' }).click()
  await page.getByRole('button', { name: 'Create' }).click()
  await page.getByRole('heading', { name: 'Virtual all-files' }).waitFor()
  assert.deepEqual(await page.locator('.props ol li').allTextContents(), ['mirror', 'files'])
  await shot(page, 'desktop-virtual')

  // A release policy is an npm remote's own setting: the form shows it
  // with the type, and the server's refusal lands next to it.
  await page.goto(base + '/#/remotes/new')
  await page.getByLabel('Name', { exact: true }).fill('npm-cooled')
  await page.getByLabel('Package type', { exact: true }).selectOption('npm')
  await page.getByLabel('Upstream URL', { exact: true }).fill(upURL)
  await page.getByLabel('min age', { exact: true }).fill('soon')
  await page.getByRole('button', { name: 'Create' }).click()
  await page.locator('#f-min_age-error').getByText('min_age').waitFor()
  await page.getByLabel('min age', { exact: true }).fill('72h')
  await page.getByLabel('blocked versions', { exact: true }).fill('left-pad@1.0.0')
  await page.getByRole('button', { name: 'Create' }).click()
  await page.getByRole('heading', { name: 'Remote npm-cooled' }).waitFor()
  const cooled = await (await apiCall('GET', '/api/v2/remotes/npm-cooled')).json()
  assert.equal(cooled.min_age, '72h')
  assert.deepEqual(cooled.blocked_versions, ['left-pad@1.0.0'])
  await page.goto(base + '/#/')

  // Probe: status, size, timing.
  await page.getByRole('link', { name: 'Probe' }).click()
  await page.getByLabel('Remote', { exact: true }).selectOption('files')
  await page.getByLabel('Path', { exact: true }).fill('small.txt')
  await page.getByRole('button', { name: 'Probe' }).click()
  const result = page.getByRole('definition').filter({ hasText: '200' })
  await result.first().waitFor()
  await shot(page, 'desktop-probe')

  // Health of each backend.
  await page.getByRole('link', { name: 'Health' }).click()
  await page.getByRole('cell', { name: 'sqlite', exact: true }).waitFor()
  await shot(page, 'desktop-health')

  // Keyboard only: from the page to the Remotes link and in.
  await page.getByRole('link', { name: 'Dashboard' }).focus()
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: 'Remotes' }).waitFor()

  // A refused token returns to sign-in.
  await page.evaluate(() => sessionStorage.setItem('artifactapi.token', 'revoked'))
  await page.reload()
  await page.getByText('The server refused the token: sign in again.').waitFor()

  assert.deepEqual(errors, [], 'console errors')
  await ctx.close()
}

async function phone(b) {
  const { ctx, page, errors } = await newPage(b, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'dark' })
  await signIn(page)
  for (const [hash, heading, name] of [
    ['/', 'Dashboard', 'dashboard'],
    ['/remotes', 'Remotes', 'remotes'],
    ['/remotes/files', 'Remote files', 'remote-detail'],
    ['/remotes/new', 'New remote', 'remote-form'],
    ['/objects/files', 'Objects', 'objects'],
    ['/probe', 'Probe', 'probe'],
    ['/health', 'Health', 'health'],
  ]) {
    await page.goto(`${base}/#${hash}`)
    await page.getByRole('heading', { name: heading }).first().waitFor()
    await sleep(300)
    // Nothing wider than the phone: wide tables scroll inside their box.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)
    assert.ok(overflow <= 0, `${hash} is ${overflow}px wider than the phone`)
    await shot(page, `phone-${name}`)
  }
  assert.deepEqual(errors, [], 'console errors')
  await ctx.close()
}
