"""Developer tooling: container engines, local servers for tests and benchmarks, Kubernetes
manifest checks, preflights and checked port-forwards. Never part of the image."""
