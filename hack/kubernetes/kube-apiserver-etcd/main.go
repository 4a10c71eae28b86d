// Command kube-apiserver-envtest runs a real kube-apiserver backed by an embedded
// etcd in one process, the way controller-runtime's envtest runs the control plane:
// no controller-manager, scheduler or kubelet. It exists because this project's
// tests and local stack need a real API server on machines without a container
// engine, and k8s.io/kubernetes cannot be `go install`ed directly.
//
// Environment:
//
//	RC_ETCD_DIR        etcd data directory (required)
//	RC_ETCD_PORT       etcd client port on 127.0.0.1 (required)
//	RC_ETCD_PEER_PORT  etcd peer port on 127.0.0.1 (required)
//	RC_ETCD_NO_FSYNC   "1" skips fsync: faster, only for throwaway test data
//
// All command-line arguments are passed to kube-apiserver unchanged.
package main

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	etcd, err := startEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "embedded etcd:", err)
		os.Exit(1)
	}
	code := cli.Run(app.NewAPIServerCommand())
	etcd.Close()
	os.Exit(code)
}

func startEtcd() (*embed.Etcd, error) {
	dir, port, peerPort := os.Getenv("RC_ETCD_DIR"), os.Getenv("RC_ETCD_PORT"), os.Getenv("RC_ETCD_PEER_PORT")
	if dir == "" || port == "" || peerPort == "" {
		return nil, fmt.Errorf("RC_ETCD_DIR, RC_ETCD_PORT and RC_ETCD_PEER_PORT must be set")
	}
	client, err := url.Parse("http://127.0.0.1:" + port)
	if err != nil {
		return nil, err
	}
	peer, err := url.Parse("http://127.0.0.1:" + peerPort)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "rediclaim"
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "error"
	cfg.UnsafeNoFsync = os.Getenv("RC_ETCD_NO_FSYNC") == "1"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		return nil, fmt.Errorf("etcd was not ready within 60s")
	}
}
