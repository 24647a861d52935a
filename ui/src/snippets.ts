// How each client is pointed at a remote or virtual of this server.

export function repoURL(origin: string, kind: 'remote' | 'virtual', name: string): string {
  return `${origin}/api/v1/${kind}/${encodeURIComponent(name)}`
}

export function snippet(type: string, origin: string, kind: 'remote' | 'virtual', name: string): { title: string; text: string } {
  const u = repoURL(origin, kind, name)
  const host = origin.replace(/^https?:\/\//, '')
  const insecure = origin.startsWith('http://')
  switch (type) {
    case 'npm':
      return { title: '.npmrc', text: `registry=${u}/` }
    case 'pypi':
      return { title: 'pip.conf', text: `[global]\nindex-url = ${u}/simple/` }
    case 'goproxy':
      return { title: 'shell', text: `export GOPROXY=${u}` }
    case 'helm':
      return { title: 'shell', text: `helm repo add ${name} ${u}\nhelm repo update` }
    case 'docker':
      return {
        title: 'shell',
        text: `skopeo copy ${insecure ? '--src-tls-verify=false ' : ''}docker://${host}/${name}/library/alpine:3 dir:alpine\ndocker pull ${host}/${name}/library/alpine:3${insecure ? `   # ${host} under insecure-registries` : ''}`,
      }
    case 'apt':
      return { title: '/etc/apt/sources.list.d/proxy.sources', text: `Types: deb\nURIs: ${u}/\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg` }
    case 'rpm':
      return { title: '/etc/yum.repos.d/proxied.repo', text: `[proxied]\nname=proxied\nbaseurl=${u}/\ngpgcheck=1` }
    case 'alpine':
      return { title: '/etc/apk/repositories', text: `${u}/v3.20/main` }
    case 'puppet':
      return { title: 'shell', text: `puppet module install --module_repository ${u} puppetlabs-stdlib` }
    case 'terraform':
      return {
        title: '~/.terraformrc',
        text: `host "registry.opentofu.org" {\n  services = {\n    "providers.v1" = "${u}/v1/providers/",\n    "modules.v1"   = "${u}/v1/modules/"\n  }\n}`,
      }
    default:
      return { title: 'shell', text: `curl -fLO ${u}/path/to/file` }
  }
}
