{{- /*
Exactly what the operator uses, nothing else:
- Channel, Queue, Campaign: read, watch, update and patch (finalizers live in metadata);
  their status subresource; their finalizers subresource (needed where the
  OwnerReferencesPermissionEnforcement admission plugin is on).
- Events (events.k8s.io/v1): create, and patch to count a repeated one, recorded in the
  namespace of the resource they are about.
No Secrets (channel credentials are not read yet): grant them when the operator uses them.
Leases (leader election) are granted only in the release namespace (operator-rbac.yaml).
*/}}
{{- define "parley.operatorRules" -}}
- apiGroups: ["parley.dev"]
  resources: ["channels", "queues", "campaigns"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["parley.dev"]
  resources: ["channels/status", "queues/status", "campaigns/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["parley.dev"]
  resources: ["channels/finalizers", "queues/finalizers", "campaigns/finalizers"]
  verbs: ["update"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
