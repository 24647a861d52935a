terraform {
  required_providers {
    artifactapi = {
      source = "artifactapi/artifactapi"
    }
  }
}

# endpoint and token may also come from ARTIFACTAPI_ENDPOINT and ARTIFACTAPI_TOKEN.
provider "artifactapi" {
  endpoint = "http://localhost:8000"
}
