package main

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// leakConfig is the part of leakd's config (cmd/leakd/config.go) that must
// agree with the pod: listeners with ports, directories with mounts.
type leakConfig struct {
	DataDir string `json:"data_dir"`
	SMTP    struct {
		Listen        string `json:"listen"`
		ShutdownGrace string `json:"shutdown_grace"`
	} `json:"smtp"`
	HTTP struct {
		Listen string `json:"listen"`
	} `json:"http"`
	Web struct {
		Listen string `json:"listen"`
	} `json:"web"`
	TLS struct {
		ACME struct {
			Enabled    bool   `json:"enabled"`
			HTTPListen string `json:"http_listen"`
			CacheDir   string `json:"cache_dir"`
		} `json:"acme"`
	} `json:"tls"`
	DKIM struct {
		KeyDir string `json:"key_dir"`
	} `json:"dkim"`
	Policy struct {
		Redis      string `json:"redis"`
		SecretFile string `json:"secret_file"`
	} `json:"policy"`
	Delivery struct {
		Dir           string `json:"dir"`
		BounceKeyFile string `json:"bounce_key_file"`
	} `json:"delivery"`
}

// checkLeakd checks the leakd container against the config it is given.
func checkLeakd(p *problems, o *objects, where string, spec *corev1.PodSpec, c *corev1.Container, volumes map[string]*corev1.Volume, claims map[string]bool, replicas int32) {
	cw := fmt.Sprintf("%s: container %q", where, c.Name)
	args := append(append([]string{}, c.Command...), c.Args...)
	cfgPath := ""
	for i, a := range args {
		if a == "--config" && i+1 < len(args) {
			cfgPath = args[i+1]
		} else if v, ok := strings.CutPrefix(a, "--config="); ok {
			cfgPath = v
		}
	}
	if cfgPath == "" {
		p.add("%s: no --config argument", cw)
		return
	}
	raw, ok := configFile(o, c, volumes, cfgPath)
	if !ok {
		p.add("%s: --config %s is not a key of a mounted ConfigMap", cw, cfgPath)
		return
	}
	var cfg leakConfig
	// Not strict: this reads only the keys that meet the pod; leakd's own
	// `config check` (run by the deploy tests) checks the whole file.
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
		p.add("%s: %s: %v", cw, cfgPath, err)
		return
	}

	for _, l := range []struct{ key, addr, port string }{
		{"smtp.listen", cfg.SMTP.Listen, "smtp"},
		{"http.listen", cfg.HTTP.Listen, "metrics"},
		{"web.listen", cfg.Web.Listen, "web"},
		{"tls.acme.http_listen", cfg.TLS.ACME.HTTPListen, "acme"},
	} {
		if l.addr == "" && l.port != "smtp" && l.port != "metrics" {
			continue // off
		}
		_, ps, err := net.SplitHostPort(l.addr)
		n, _ := strconv.Atoi(ps)
		cp, found := containerPort(c, l.port)
		switch {
		case err != nil:
			p.add("%s: %s %q is not host:port", cw, l.key, l.addr)
		case !found:
			p.add("%s: no container port named %s", cw, l.port)
		case int32(n) != cp:
			p.add("%s: %s listens on %d, container port %s is %d", cw, l.key, n, l.port, cp)
		}
	}

	// The spool and the outbox must outlive the pod and be writable.
	for _, d := range []struct{ key, dir string }{{"data_dir", cfg.DataDir}, {"delivery.dir", cfg.Delivery.Dir}} {
		m := mountFor(c, d.dir)
		switch {
		case d.dir == "":
			// The default (under data_dir) is checked through data_dir.
		case m == nil:
			p.add("%s: %s %s is on the container's read-only root file system", cw, d.key, d.dir)
		case m.ReadOnly:
			p.add("%s: %s %s is on a read-only mount", cw, d.key, d.dir)
		case !claims[m.Name]:
			p.add("%s: %s %s is not on a volumeClaimTemplate: accepted mail would be lost with the pod", cw, d.key, d.dir)
		}
	}

	checkShared(p, o, cw, c, volumes, claims, &cfg, replicas)
	checkGrace(p, where, spec, c, cfg.SMTP.ShutdownGrace)

	// Keys on an emptyDir must be put there before leakd starts, or leakd
	// makes new ones at every start and the published DNS records go stale.
	kd := cfg.DKIM.KeyDir
	if kd == "" {
		kd = path.Join(cfg.DataDir, "dkim")
	}
	m := mountFor(c, kd)
	if m == nil {
		p.add("%s: dkim.key_dir %s is not on a volume", cw, kd)
		return
	}
	if v := volumes[m.Name]; v != nil && v.EmptyDir != nil {
		filled := false
		for _, ic := range spec.InitContainers {
			for _, im := range ic.VolumeMounts {
				if im.Name == m.Name && !im.ReadOnly {
					filled = true
				}
			}
		}
		if !filled {
			p.add("%s: dkim.key_dir %s is an emptyDir no init container fills: new keys at every start", cw, kd)
		}
	}
}

// configFile returns the content of the file at p inside c, if a ConfigMap
// volume provides it.
func configFile(o *objects, c *corev1.Container, volumes map[string]*corev1.Volume, p string) (string, bool) {
	for _, m := range c.VolumeMounts {
		v := volumes[m.Name]
		if v == nil || v.ConfigMap == nil {
			continue
		}
		cm := findConfigMap(o, v.ConfigMap.Name)
		if cm == nil {
			continue
		}
		key := ""
		switch {
		case m.SubPath != "" && m.MountPath == p:
			key = m.SubPath
		case m.SubPath == "" && path.Dir(p) == path.Clean(m.MountPath):
			key = path.Base(p)
			for _, it := range v.ConfigMap.Items {
				if it.Path == key {
					key = it.Key
				}
			}
		default:
			continue
		}
		if s, ok := cm.Data[key]; ok {
			return s, true
		}
	}
	return "", false
}

// mountFor returns the mount of c that holds dir (the deepest one), or nil.
func mountFor(c *corev1.Container, dir string) *corev1.VolumeMount {
	var best *corev1.VolumeMount
	dir = path.Clean(dir)
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		mp := path.Clean(m.MountPath)
		if dir == mp || strings.HasPrefix(dir, mp+"/") {
			if best == nil || len(mp) > len(path.Clean(best.MountPath)) {
				best = m
			}
		}
	}
	return best
}

// checkShared checks what replicas must share. Each replica has its own
// claim, so anything leakd would otherwise keep under data_dir differs
// between replicas: rate limits and opt-outs (policy.redis), the secret
// behind every stored hash and unsubscribe link (policy.secret_file), the
// key of the bounce addresses (delivery.bounce_key_file), and an ACME
// cache. The key files come from a Secret whatever the count.
func checkShared(p *problems, o *objects, cw string, c *corev1.Container, volumes map[string]*corev1.Volume, claims map[string]bool, cfg *leakConfig, replicas int32) {
	for _, f := range []struct{ key, path string }{
		{"policy.secret_file", cfg.Policy.SecretFile},
		{"delivery.bounce_key_file", cfg.Delivery.BounceKeyFile},
	} {
		if f.path == "" {
			if replicas > 1 {
				p.add("%s: replicas %d without %s: each replica makes its own key under data_dir, so they disagree (deploy/README.md, Several replicas)", cw, replicas, f.key)
			}
			continue
		}
		m := mountFor(c, f.path)
		if m == nil || volumes[m.Name] == nil || volumes[m.Name].Secret == nil {
			p.add("%s: %s %s is not on a mounted Secret", cw, f.key, f.path)
		}
	}
	if cfg.Policy.Redis == "" {
		if replicas > 1 {
			p.add("%s: replicas %d without policy.redis: each replica would count its own limits and keep its own opt-outs", cw, replicas)
		}
	} else if u, err := url.Parse(cfg.Policy.Redis); err != nil || u.Hostname() == "" {
		p.add("%s: policy.redis %q is not a redis:// URL with a host", cw, cfg.Policy.Redis)
	} else if !strings.Contains(u.Hostname(), ".") && net.ParseIP(u.Hostname()) == nil {
		// A bare name is a Service of this namespace.
		svc := findService(o, u.Hostname())
		port := u.Port()
		if port == "" {
			port = "6379"
		}
		switch {
		case svc == nil:
			p.add("%s: policy.redis names %q, which is not a Service of the build", cw, u.Hostname())
		case !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return strconv.Itoa(int(sp.Port)) == port }):
			p.add("%s: policy.redis port %s is not a port of Service %s", cw, port, svc.Name)
		}
	}
	if cfg.TLS.ACME.Enabled && replicas > 1 {
		cache := cfg.TLS.ACME.CacheDir
		if cache == "" {
			cache = path.Join(cfg.DataDir, "acme")
		}
		if m := mountFor(c, cache); m == nil || claims[m.Name] || volumes[m.Name] == nil || volumes[m.Name].PersistentVolumeClaim == nil {
			p.add("%s: replicas %d with tls.acme: cache_dir %s is not one shared (ReadWriteMany) claim; each replica would order its own certificate", cw, replicas, cache)
		}
	}
}

// checkGrace: the kubelet's SIGKILL comes terminationGracePeriodSeconds
// after the pod starts terminating, preStop included; the messages in
// DATA need smtp.shutdown_grace after SIGTERM, and the spool a moment to
// close.
func checkGrace(p *problems, where string, spec *corev1.PodSpec, c *corev1.Container, shutdownGrace string) {
	grace := int64(30)
	if spec.TerminationGracePeriodSeconds != nil {
		grace = *spec.TerminationGracePeriodSeconds
	}
	sd := 30 * time.Second
	if shutdownGrace != "" {
		d, err := time.ParseDuration(shutdownGrace)
		if err != nil {
			p.add("%s: smtp.shutdown_grace %q is not a duration", where, shutdownGrace)
			return
		}
		sd = d
	}
	var pre int64
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		pre = c.Lifecycle.PreStop.Sleep.Seconds
	}
	if need := pre + int64(sd/time.Second) + 5; grace < need {
		p.add("%s: terminationGracePeriodSeconds %d < preStop %ds + smtp.shutdown_grace %s + 5s: messages in DATA would be cut", where, grace, pre, sd)
	}
}
