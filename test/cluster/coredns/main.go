// CoreDNS for the real node's cluster DNS, with only the plugins a Kubernetes cluster's
// Corefile uses (kubeadm's default Corefile and a few debugging aids). The upstream `coredns`
// command links every plugin in plugin.cfg, including the AWS, Azure, Google Cloud, etcd and
// Datadog clients; this one builds from a fraction of those modules. To add a plugin: import its
// package and put its name in `directives`, in plugin.cfg's order (the order plugins see a
// query in, whatever the Corefile says).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/debug"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/whoami"
)

// In plugin.cfg's order; "prometheus" is the metrics package's directive.
var directives = []string{
	"reload", "bind", "debug", "ready", "health", "prometheus", "errors", "log",
	"loadbalance", "rewrite", "cache", "template", "hosts", "kubernetes", "loop", "forward", "whoami",
}

func main() {
	if err := dnsserver.SetDirectives(directives); err != nil {
		panic(err)
	}
	coremain.Run()
}
