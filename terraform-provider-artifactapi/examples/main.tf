resource "artifactapi_remote_generic" "github" {
  name = "github"
  base_url = "https://github.com"
  immutable_ttl = 0
  mutable_ttl = 7200
  patterns = ["ducaale/xh/.*/xh-.*-x86_64-unknown-linux-musl.tar.gz$", "mikefarah/yq/.*/yq_linux_amd64$"]
  mutable_patterns = [".*/archive/refs/heads/.*\\.tar\\.gz$"]
}
resource "artifactapi_remote_docker" "dockerhub" {
  name = "dockerhub"
  base_url = "https://registry-1.docker.io"
  immutable_ttl = 0
  mutable_ttl = 300
  ban_tags_enabled = true
  ban_tags = ["latest"]
  patterns = ["^library/postgres", "^library/redis"]
}
resource "artifactapi_remote_helm" "jetstack" {
  name = "jetstack"
  base_url = "https://charts.jetstack.io"
  immutable_ttl = 0
  mutable_ttl = 3600
}
resource "artifactapi_virtual" "helm" {
  name = "helm"
  package_type = "helm"
  members = [artifactapi_remote_helm.jetstack.name]
}
