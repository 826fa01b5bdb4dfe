package main

import (
	"slices"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// openPorts are the leakd ports a NetworkPolicy may admit from every
// source: SMTP comes from the whole Internet. Metrics, the web listener
// and the ACME answers come through Prometheus or the Ingress only.
var openPorts = map[string]bool{"smtp": true}

// checkNetworkPolicies: each policy selects pods of the build and admits
// ports they have; leakd's pods are covered by one, and only SMTP is open
// to every source.
func checkNetworkPolicies(p *problems, o *objects) {
	covered := false
	for _, np := range o.networkPolicies {
		where := "NetworkPolicy " + np.Name
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			p.add("%s: podSelector: %v", where, err)
			continue
		}
		var pods []podTemplate
		for _, pt := range podTemplates(o) {
			if sel.Matches(labels.Set(pt.labels)) {
				pods = append(pods, pt)
			}
		}
		if len(pods) == 0 {
			p.add("%s: podSelector %s matches no pod template", where, sel)
			continue
		}
		leakd := slices.ContainsFunc(pods, func(pt podTemplate) bool { return pt.leakd })
		if leakd && slices.Contains(policyTypes(np), networkingv1.PolicyTypeIngress) {
			covered = true
		}
		for i, rule := range np.Spec.Ingress {
			everyone := len(rule.From) == 0 || slices.ContainsFunc(rule.From, func(f networkingv1.NetworkPolicyPeer) bool {
				return f.IPBlock != nil
			})
			for _, rp := range rule.Ports {
				if rp.Port == nil {
					if leakd && everyone {
						p.add("%s: ingress[%d] admits every port from every source", where, i)
					}
					continue
				}
				name := portName(pods, *rp.Port)
				if name == "" {
					p.add("%s: ingress[%d]: port %s is not a container port of the pods it selects", where, i, rp.Port.String())
					continue
				}
				if leakd && everyone && !openPorts[name] {
					p.add("%s: ingress[%d] admits leakd's %s port from every source", where, i, name)
				}
			}
			if len(rule.Ports) == 0 && leakd && everyone {
				p.add("%s: ingress[%d] admits every port from every source", where, i)
			}
		}
	}
	if hasLeakd(o) && !covered {
		p.add("no NetworkPolicy limits ingress to the leakd pods: metrics and the web listener would be open to the whole cluster")
	}
}

// policyTypes are the types a NetworkPolicy enforces, defaults included.
func policyTypes(np *networkingv1.NetworkPolicy) []networkingv1.PolicyType {
	if len(np.Spec.PolicyTypes) > 0 {
		return np.Spec.PolicyTypes
	}
	t := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if len(np.Spec.Egress) > 0 {
		t = append(t, networkingv1.PolicyTypeEgress)
	}
	return t
}

// portName is the name of a container port of pods that port refers to,
// "" when none has it.
func portName(pods []podTemplate, port intstr.IntOrString) string {
	for _, pt := range pods {
		for i := range pt.spec.Containers {
			for _, cp := range pt.spec.Containers[i].Ports {
				if port.Type == intstr.String && cp.Name == port.StrVal ||
					port.Type == intstr.Int && cp.ContainerPort == port.IntVal {
					if cp.Name == "" {
						return port.String()
					}
					return cp.Name
				}
			}
		}
	}
	return ""
}

// checkPDBs: each budget selects pods of the build and lets a drain go on.
func checkPDBs(p *problems, o *objects) {
	for _, pdb := range o.pdbs {
		where := "PodDisruptionBudget " + pdb.Name
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() {
			p.add("%s: bad or empty selector", where)
			continue
		}
		matched := false
		for _, ss := range o.statefulSets {
			if !sel.Matches(labels.Set(ss.Spec.Template.Labels)) {
				continue
			}
			matched = true
			checkBudget(p, where, pdb, replicas(ss.Spec.Replicas))
		}
		if !matched {
			p.add("%s: selector %s matches no pod template", where, sel)
		}
	}
}

func checkBudget(p *problems, where string, pdb *policyv1.PodDisruptionBudget, n int32) {
	switch {
	case pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil:
		p.add("%s: sets neither minAvailable nor maxUnavailable", where)
	case pdb.Spec.MinAvailable != nil:
		if v, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(n), true); err == nil && int32(v) >= n {
			p.add("%s: minAvailable %s of %d replicas: no pod may ever be evicted, node drains hang", where, pdb.Spec.MinAvailable.String(), n)
		}
	case pdb.Spec.MaxUnavailable != nil:
		if v, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(n), false); err == nil && v < 1 {
			p.add("%s: maxUnavailable %s: no pod may ever be evicted, node drains hang", where, pdb.Spec.MaxUnavailable.String())
		}
	}
}

// checkIngresses: each back end is a Service of the build with that port,
// and none is leakd's metrics port.
func checkIngresses(p *problems, o *objects) {
	for _, ing := range o.ingresses {
		where := "Ingress " + ing.Name
		var backends []*networkingv1.IngressServiceBackend
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			backends = append(backends, b.Service)
		}
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, path := range r.HTTP.Paths {
				if path.Backend.Service != nil {
					backends = append(backends, path.Backend.Service)
				}
			}
		}
		if len(backends) == 0 {
			p.add("%s: no Service back end", where)
		}
		for _, b := range backends {
			svc := findService(o, b.Name)
			if svc == nil {
				p.add("%s: back end Service %q is not in the build", where, b.Name)
				continue
			}
			found := false
			for _, sp := range svc.Spec.Ports {
				if b.Port.Name != "" && sp.Name == b.Port.Name || b.Port.Name == "" && sp.Port == b.Port.Number {
					found = true
					if sp.TargetPort.StrVal == "metrics" || sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal == metricsPort(o) {
						p.add("%s: routes leakd's metrics port to the Internet", where)
					}
				}
			}
			if !found {
				p.add("%s: Service %s has no port %s", where, b.Name, backendPort(b))
			}
		}
	}
}

func backendPort(b *networkingv1.IngressServiceBackend) string {
	if b.Port.Name != "" {
		return b.Port.Name
	}
	return strconv.Itoa(int(b.Port.Number))
}

// metricsPort is the number of leakd's metrics container port, or -1.
func metricsPort(o *objects) int32 {
	for _, pt := range podTemplates(o) {
		for i := range pt.spec.Containers {
			if n, ok := containerPort(&pt.spec.Containers[i], "metrics"); ok && pt.leakd {
				return n
			}
		}
	}
	return -1
}
