package main

import (
	"fmt"
	"sort"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// objects is a kustomize build decoded into typed structs.
type objects struct {
	namespaces      []*corev1.Namespace
	services        []*corev1.Service
	configMaps      []*corev1.ConfigMap
	secrets         []*corev1.Secret
	statefulSets    []*appsv1.StatefulSet
	serviceMonitors []*monitoringv1.ServiceMonitor
	podMonitors     []*monitoringv1.PodMonitor
	pdbs            []*policyv1.PodDisruptionBudget
	networkPolicies []*networkingv1.NetworkPolicy
	ingresses       []*networkingv1.Ingress
}

func (o *objects) count() int {
	return len(o.namespaces) + len(o.services) + len(o.configMaps) + len(o.secrets) +
		len(o.statefulSets) + len(o.serviceMonitors) + len(o.podMonitors) +
		len(o.pdbs) + len(o.networkPolicies) + len(o.ingresses)
}

// build runs kustomize on dir and decodes each resulting object.
func build(dir string) (*objects, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	objs := &objects{}
	var errs []string
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		if err := objs.add(r.GetApiVersion(), r.GetKind(), y); err != nil {
			errs = append(errs, fmt.Sprintf("%s %s: %v", r.GetKind(), r.GetName(), err))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("strict decoding failed:\n  %s", joinLines(errs))
	}
	return objs, nil
}

// add decodes one object strictly: sigs.k8s.io/yaml.UnmarshalStrict rejects
// duplicate keys and, through encoding/json's DisallowUnknownFields, any
// field the typed struct does not have.
func (o *objects) add(apiVersion, kind string, y []byte) error {
	strict := func(v any) error { return yaml.UnmarshalStrict(y, v) }
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		v := &corev1.Namespace{}
		o.namespaces = append(o.namespaces, v)
		return strict(v)
	case "v1/Service":
		v := &corev1.Service{}
		o.services = append(o.services, v)
		return strict(v)
	case "v1/ConfigMap":
		v := &corev1.ConfigMap{}
		o.configMaps = append(o.configMaps, v)
		return strict(v)
	case "v1/Secret":
		v := &corev1.Secret{}
		o.secrets = append(o.secrets, v)
		return strict(v)
	case "apps/v1/StatefulSet":
		v := &appsv1.StatefulSet{}
		o.statefulSets = append(o.statefulSets, v)
		return strict(v)
	case "monitoring.coreos.com/v1/ServiceMonitor":
		v := &monitoringv1.ServiceMonitor{}
		o.serviceMonitors = append(o.serviceMonitors, v)
		return strict(v)
	case "policy/v1/PodDisruptionBudget":
		v := &policyv1.PodDisruptionBudget{}
		o.pdbs = append(o.pdbs, v)
		return strict(v)
	case "networking.k8s.io/v1/NetworkPolicy":
		v := &networkingv1.NetworkPolicy{}
		o.networkPolicies = append(o.networkPolicies, v)
		return strict(v)
	case "networking.k8s.io/v1/Ingress":
		v := &networkingv1.Ingress{}
		o.ingresses = append(o.ingresses, v)
		return strict(v)
	case "monitoring.coreos.com/v1/PodMonitor":
		v := &monitoringv1.PodMonitor{}
		o.podMonitors = append(o.podMonitors, v)
		return strict(v)
	}
	return fmt.Errorf("apiVersion %q kind %q: not a kind this validator knows; add it to decode.go", apiVersion, kind)
}

func joinLines(s []string) string {
	out := ""
	for i, l := range s {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}
