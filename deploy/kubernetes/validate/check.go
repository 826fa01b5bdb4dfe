package main

import (
	"fmt"
	"slices"
	"sort"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// externalSecrets are the Secrets the manifests use but do not contain: they
// hold key material and are made with kubectl (deploy/README.md).
var externalSecrets = map[string]bool{"leak-dkim": true, "leak-keys": true}

// wantJob is the job label the alert rules select (deploy/prometheus/alerts.yml).
const wantJob = "leak"

type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// check returns every problem found in objs, sorted.
func check(o *objects) []string {
	var p problems
	if !hasLeakd(o) {
		p.add("no StatefulSet with a container named leakd in the build")
	}
	checkNamespaces(&p, o)
	for _, ss := range o.statefulSets {
		checkStatefulSet(&p, o, ss)
	}
	for _, svc := range o.services {
		checkService(&p, o, svc)
	}
	for _, sm := range o.serviceMonitors {
		checkServiceMonitor(&p, o, sm)
	}
	for _, pm := range o.podMonitors {
		checkPodMonitor(&p, o, pm)
	}
	checkNetworkPolicies(&p, o)
	checkPDBs(&p, o)
	checkIngresses(&p, o)
	sort.Strings(p)
	return p
}

// checkNamespaces: every namespaced object lands in a namespace of the build.
func checkNamespaces(p *problems, o *objects) {
	var names []string
	for _, ns := range o.namespaces {
		names = append(names, ns.Name)
	}
	metas := map[string]metav1.ObjectMeta{}
	for _, v := range o.services {
		metas["Service "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.configMaps {
		metas["ConfigMap "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.secrets {
		metas["Secret "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.statefulSets {
		metas["StatefulSet "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.serviceMonitors {
		metas["ServiceMonitor "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.podMonitors {
		metas["PodMonitor "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.pdbs {
		metas["PodDisruptionBudget "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.networkPolicies {
		metas["NetworkPolicy "+v.Name] = v.ObjectMeta
	}
	for _, v := range o.ingresses {
		metas["Ingress "+v.Name] = v.ObjectMeta
	}
	for what, m := range metas {
		switch {
		case m.Name == "":
			p.add("%s: no metadata.name", what)
		case m.Namespace == "":
			p.add("%s: no namespace (set namespace: in kustomization.yaml)", what)
		case len(names) > 0 && !slices.Contains(names, m.Namespace):
			p.add("%s: namespace %q is not the build's Namespace %v", what, m.Namespace, names)
		}
	}
}

func checkStatefulSet(p *problems, o *objects, ss *appsv1.StatefulSet) {
	where := "StatefulSet " + ss.Name
	if ss.Spec.Replicas != nil && *ss.Spec.Replicas < 1 {
		p.add("%s: replicas %d", where, *ss.Spec.Replicas)
	}
	sel, err := metav1.LabelSelectorAsSelector(ss.Spec.Selector)
	switch {
	case err != nil:
		p.add("%s: selector: %v", where, err)
	case sel.Empty():
		p.add("%s: empty selector", where)
	case !sel.Matches(labels.Set(ss.Spec.Template.Labels)):
		p.add("%s: selector %s does not match the pod template labels %v", where, sel, ss.Spec.Template.Labels)
	}
	if svc := findService(o, ss.Spec.ServiceName); svc == nil {
		p.add("%s: serviceName %q is not a Service of the build", where, ss.Spec.ServiceName)
	} else if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		p.add("%s: serviceName %q is not headless (clusterIP: None)", where, ss.Spec.ServiceName)
	}
	claims := map[string]bool{}
	for _, c := range ss.Spec.VolumeClaimTemplates {
		claims[c.Name] = true
		if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; !ok || q.IsZero() {
			p.add("%s: volumeClaimTemplate %q requests no storage", where, c.Name)
		}
	}
	checkPod(p, o, where, &ss.Spec.Template.Spec, claims, replicas(ss.Spec.Replicas))
}

// replicas is a StatefulSet's replica count, 1 when unset.
func replicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}

// podTemplate is a pod template of the build, with its labels.
type podTemplate struct {
	labels map[string]string
	spec   *corev1.PodSpec
	leakd  bool // it runs a container named leakd
}

func podTemplates(o *objects) []podTemplate {
	var out []podTemplate
	for _, ss := range o.statefulSets {
		spec := &ss.Spec.Template.Spec
		out = append(out, podTemplate{labels: ss.Spec.Template.Labels, spec: spec,
			leakd: slices.ContainsFunc(spec.Containers, func(c corev1.Container) bool { return c.Name == "leakd" })})
	}
	return out
}

func hasLeakd(o *objects) bool {
	return slices.ContainsFunc(podTemplates(o), func(pt podTemplate) bool { return pt.leakd })
}

// checkPod checks references inside a pod spec and the parts of the
// "restricted" Pod Security Standard a manifest can get wrong.
func checkPod(p *problems, o *objects, where string, spec *corev1.PodSpec, claims map[string]bool, replicas int32) {
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		p.add("%s: uses a host namespace", where)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		p.add("%s: pod securityContext.runAsNonRoot is not true", where)
	}
	podSeccomp := psc != nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type != corev1.SeccompProfileTypeUnconfined

	volumes := map[string]*corev1.Volume{}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		volumes[v.Name] = v
		switch {
		case v.HostPath != nil:
			p.add("%s: volume %q is a hostPath", where, v.Name)
		case v.ConfigMap != nil:
			cm := findConfigMap(o, v.ConfigMap.Name)
			if cm == nil {
				p.add("%s: volume %q: ConfigMap %q is not in the build", where, v.Name, v.ConfigMap.Name)
				break
			}
			for _, it := range v.ConfigMap.Items {
				if _, ok := cm.Data[it.Key]; !ok {
					p.add("%s: volume %q: ConfigMap %q has no key %q", where, v.Name, cm.Name, it.Key)
				}
			}
		case v.Secret != nil:
			if findSecret(o, v.Secret.SecretName) == nil && !externalSecrets[v.Secret.SecretName] {
				p.add("%s: volume %q: Secret %q is neither in the build nor a documented external Secret", where, v.Name, v.Secret.SecretName)
			}
		}
	}

	all := append(slices.Clone(spec.InitContainers), spec.Containers...)
	for i := range all {
		c := &all[i]
		cw := fmt.Sprintf("%s: container %q", where, c.Name)
		if c.Image == "" {
			p.add("%s: no image", cw)
		}
		checkContainerSecurity(p, cw, c.SecurityContext, podSeccomp)
		if _, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok {
			p.add("%s: no memory request", cw)
		}
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			p.add("%s: no cpu request", cw)
		}
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			p.add("%s: no memory limit", cw)
		}
		paths := map[string]bool{}
		for _, m := range c.VolumeMounts {
			if volumes[m.Name] == nil && !claims[m.Name] {
				p.add("%s: volumeMount %q is neither a volume nor a volumeClaimTemplate", cw, m.Name)
			}
			if paths[m.MountPath] {
				p.add("%s: two mounts at %s", cw, m.MountPath)
			}
			paths[m.MountPath] = true
		}
		for name, pr := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
			if pr == nil {
				continue
			}
			var port intstr.IntOrString
			switch {
			case pr.HTTPGet != nil:
				port = pr.HTTPGet.Port
			case pr.TCPSocket != nil:
				port = pr.TCPSocket.Port
			default:
				continue
			}
			if !hasPort(c, port) {
				p.add("%s: %s port %s is not a port of the container", cw, name, port.String())
			}
		}
	}
	for i := range spec.Containers {
		if spec.Containers[i].Name == "leakd" {
			checkLeakd(p, o, where, spec, &spec.Containers[i], volumes, claims, replicas)
		}
	}
}

func checkContainerSecurity(p *problems, cw string, sc *corev1.SecurityContext, podSeccomp bool) {
	if sc == nil {
		p.add("%s: no securityContext", cw)
		return
	}
	if sc.Privileged != nil && *sc.Privileged {
		p.add("%s: privileged", cw)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		p.add("%s: allowPrivilegeEscalation is not false", cw)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		p.add("%s: readOnlyRootFilesystem is not true", cw)
	}
	if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot || sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		p.add("%s: runs as root", cw)
	}
	if !podSeccomp && (sc.SeccompProfile == nil || sc.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined) {
		p.add("%s: no seccompProfile (pod or container)", cw)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		p.add("%s: capabilities do not drop ALL", cw)
	} else {
		for _, c := range sc.Capabilities.Add {
			if c != "NET_BIND_SERVICE" {
				p.add("%s: adds capability %s (restricted allows NET_BIND_SERVICE only)", cw, c)
			}
		}
	}
}

func hasPort(c *corev1.Container, port intstr.IntOrString) bool {
	for _, cp := range c.Ports {
		if port.Type == intstr.String && cp.Name == port.StrVal ||
			port.Type == intstr.Int && cp.ContainerPort == port.IntVal {
			return true
		}
	}
	return false
}

func containerPort(c *corev1.Container, name string) (int32, bool) {
	for _, cp := range c.Ports {
		if cp.Name == name {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

func checkService(p *problems, o *objects, svc *corev1.Service) {
	where := "Service " + svc.Name
	if len(svc.Spec.Selector) == 0 {
		p.add("%s: no selector", where)
		return
	}
	var pods []*corev1.PodTemplateSpec
	for _, ss := range o.statefulSets {
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(ss.Spec.Template.Labels)) {
			pods = append(pods, &ss.Spec.Template)
		}
	}
	if len(pods) == 0 {
		p.add("%s: selector %v matches no pod template", where, svc.Spec.Selector)
		return
	}
	for _, sp := range svc.Spec.Ports {
		for _, pod := range pods {
			found := false
			for i := range pod.Spec.Containers {
				c := &pod.Spec.Containers[i]
				if hasPort(c, sp.TargetPort) {
					found = true
					// The monitoring listener is for the cluster only
					// (metrics/README.md).
					if n, ok := containerPort(c, "metrics"); ok && (sp.TargetPort.StrVal == "metrics" || sp.TargetPort.IntVal == n) &&
						svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP {
						p.add("%s: exposes the metrics port through a %s Service", where, svc.Spec.Type)
					}
				}
			}
			if !found {
				p.add("%s: port %q: targetPort %s is not a container port", where, sp.Name, sp.TargetPort.String())
			}
		}
	}
}

func checkServiceMonitor(p *problems, o *objects, sm *monitoringv1.ServiceMonitor) {
	where := "ServiceMonitor " + sm.Name
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		p.add("%s: selector: %v", where, err)
		return
	}
	if sel.Empty() {
		p.add("%s: empty selector selects every Service", where)
		return
	}
	if len(sm.Spec.Endpoints) == 0 {
		p.add("%s: no endpoints", where)
	}
	var matched []*corev1.Service
	for _, svc := range o.services {
		if svc.Namespace == sm.Namespace && sel.Matches(labels.Set(svc.Labels)) {
			matched = append(matched, svc)
		}
	}
	if len(matched) == 0 {
		p.add("%s: selector %s matches no Service", where, sel)
	}
	for _, svc := range matched {
		// The operator takes job from the Service's jobLabel label, and
		// falls back to the Service's name.
		job := svc.Name
		if v, ok := svc.Labels[sm.Spec.JobLabel]; ok && sm.Spec.JobLabel != "" {
			job = v
		}
		if job != wantJob {
			p.add("%s: Service %s would be scraped as job %q; the alert rules select job=%q", where, svc.Name, job, wantJob)
		}
		for _, ep := range sm.Spec.Endpoints {
			if ep.Path != "" && ep.Path != "/metrics" {
				p.add("%s: endpoint path %q, leakd serves /metrics", where, ep.Path)
			}
			if ep.Port == "" {
				p.add("%s: endpoint without a port name", where)
				continue
			}
			if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == ep.Port }) {
				p.add("%s: Service %s has no port named %q", where, svc.Name, ep.Port)
			}
		}
	}
}

func checkPodMonitor(p *problems, o *objects, pm *monitoringv1.PodMonitor) {
	where := "PodMonitor " + pm.Name
	sel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
	if err != nil || sel.Empty() {
		p.add("%s: bad or empty selector", where)
		return
	}
	n := 0
	for _, ss := range o.statefulSets {
		if !sel.Matches(labels.Set(ss.Spec.Template.Labels)) {
			continue
		}
		n++
		for _, ep := range pm.Spec.PodMetricsEndpoints {
			if ep.Port == nil {
				continue
			}
			ok := false
			for i := range ss.Spec.Template.Spec.Containers {
				if _, found := containerPort(&ss.Spec.Template.Spec.Containers[i], *ep.Port); found {
					ok = true
				}
			}
			if !ok {
				p.add("%s: no container port named %q", where, *ep.Port)
			}
		}
	}
	if n == 0 {
		p.add("%s: selector %s matches no pod template", where, sel)
	}
}

func findService(o *objects, name string) *corev1.Service {
	for _, v := range o.services {
		if v.Name == name {
			return v
		}
	}
	return nil
}

func findConfigMap(o *objects, name string) *corev1.ConfigMap {
	for _, v := range o.configMaps {
		if v.Name == name {
			return v
		}
	}
	return nil
}

func findSecret(o *objects, name string) *corev1.Secret {
	for _, v := range o.secrets {
		if v.Name == name {
			return v
		}
	}
	return nil
}
