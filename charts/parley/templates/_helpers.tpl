{{/* Names, labels and the pieces every workload shares. */}}

{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<component>, within the 63 characters of a DNS label. */}}
{{- define "parley.componentName" -}}
{{- printf "%s-%s" (include "parley.fullname" .root | trunc (int (sub 62 (len .component)))) .component | trimSuffix "-" }}
{{- end }}

{{- define "parley.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "parley.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: parley
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component: {root, component}. */}}
{{- define "parley.componentLabels" -}}
{{ include "parley.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector labels of one component: {root, component}. Immutable once installed. */}}
{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "parley.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "parley.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "parley.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "parley.operatorServiceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "parley.componentName" (dict "root" . "component" "operator")) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "parley.channelsServiceAccountName" -}}
{{- if .Values.channels.serviceAccount.create }}
{{- default (include "parley.componentName" (dict "root" . "component" "channels")) .Values.channels.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.channels.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "parley.webSecretName" -}}
{{- default (include "parley.componentName" (dict "root" . "component" "web")) .Values.channels.web.existingSecret }}
{{- end }}
{{- define "parley.webSecretKey" -}}
{{- if .Values.channels.web.existingSecret }}{{ .Values.channels.web.existingSecretKey }}{{ else }}web-secret{{ end }}
{{- end }}

{{/* NATS_URL. */}}
{{- define "parley.natsUrl" -}}
{{- required "nats.url is required (the chart does not install NATS)" .Values.nats.url }}
{{- end }}

{{/* The Secret (name, key) holding DATABASE_URL when it comes from database.*. */}}
{{- define "parley.databaseSecretName" -}}
{{- default (include "parley.componentName" (dict "root" . "component" "database")) .Values.database.existingSecret }}
{{- end }}
{{- define "parley.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}url{{ end }}
{{- end }}

{{- define "parley.authSecretName" -}}
{{- default (include "parley.componentName" (dict "root" . "component" "auth")) .Values.auth.existingSecret }}
{{- end }}
{{- define "parley.authSecretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretKey }}{{ else }}auth-secret{{ end }}
{{- end }}

{{/* The ConfigMap mounted as PARLEY_CONFIG, or nothing (the operator feeds the routers). */}}
{{- define "parley.configMapName" -}}
{{- if .Values.config.existingConfigMap }}
{{- .Values.config.existingConfigMap }}
{{- else if .Values.config.resources }}
{{- include "parley.componentName" (dict "root" . "component" "config") }}
{{- end }}
{{- end }}

{{/* Environment every process gets: NATS_URL, log level, bind address. */}}
{{- define "parley.env.common" -}}
- name: NATS_URL
  value: {{ include "parley.natsUrl" . | quote }}
- name: PARLEY_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: PARLEY_HOST
  value: "0.0.0.0"
{{- end }}

{{/*
How the gateway verifies tokens (auth.mode, auth.oidc, auth.claims): only what is set, and
the oidc settings only in that mode (the gateway refuses a setting of another mode). In
oidc mode the token secret keeps signing integrators' OAuth tokens (PARLEY_OAUTH_SECRET),
which local mode derives from it anyway.
*/}}
{{- define "parley.env.auth" -}}
{{- $auth := .Values.auth }}
- name: PARLEY_AUTH_MODE
  value: {{ $auth.mode | quote }}
{{- if eq $auth.mode "oidc" }}
{{- range $name, $value := dict "PARLEY_AUTH_ISSUER" $auth.oidc.issuer "PARLEY_AUTH_AUDIENCE" $auth.oidc.audience "PARLEY_AUTH_JWKS_URL" $auth.oidc.jwksUrl "PARLEY_AUTH_CLIENT_ID" $auth.oidc.clientId "PARLEY_AUTH_SCOPES" $auth.oidc.scopes }}
{{- if $value }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
- name: PARLEY_OAUTH_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "parley.authSecretName" . }}
      key: {{ include "parley.authSecretKey" . }}
{{- end }}
{{- range $name, $value := dict "PARLEY_AUTH_SUBJECT_CLAIM" $auth.claims.subject "PARLEY_AUTH_TENANT_CLAIM" $auth.claims.tenant "PARLEY_AUTH_ROLE_CLAIM" $auth.claims.role "PARLEY_AUTH_ROLE_MAP" $auth.claims.roleMap "PARLEY_AUTH_TENANT" $auth.claims.fixedTenant }}
{{- if $value }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* DATABASE_URL, from the chart's Secret (database.url) or yours (database.existingSecret). */}}
{{- define "parley.env.database" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "parley.databaseSecretName" . }}
      key: {{ include "parley.databaseSecretKey" . }}
{{- end }}

{{/*
Pod-level settings of one workload: {root, values, component}. A default preferred
anti-affinity spreads the replicas over nodes unless `affinity` is given.
*/}}
{{- define "parley.podScheduling" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
affinity:
{{- if .values.affinity }}
  {{- toYaml .values.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "parley.selectorLabels" (dict "root" .root "component" .component) | nindent 14 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* Pod template metadata of one workload: {root, values, component, annotations}. */}}
{{- define "parley.podMetadata" -}}
labels:
  {{- include "parley.selectorLabels" (dict "root" .root "component" .component) | nindent 2 }}
  app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
  app.kubernetes.io/part-of: parley
  {{- with .values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $annotations := merge (dict) (.annotations | default dict) (.values.podAnnotations | default dict) }}
{{- with $annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The container fields every Parley container shares: {root, values, role}. */}}
{{- define "parley.containerBase" -}}
image: {{ include "parley.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
command: ["node", "bin/parley.js", {{ .role | quote }}]
securityContext:
  {{- toYaml .root.Values.securityContext | nindent 2 }}
resources:
  {{- toYaml .values.resources | nindent 2 }}
{{- end }}

{{/* A writable /tmp on a read-only root filesystem (the image itself writes nothing). */}}
{{- define "parley.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end }}
{{- define "parley.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
The routers' partition count and lease time. Defaulted here as well as in values.yaml:
`helm upgrade --reuse-values` from a chart without these keys does not bring the new
chart's defaults along.
*/}}
{{- define "parley.router.partitions" -}}
{{- .Values.router.partitions | default 64 | int }}
{{- end }}
{{- define "parley.router.leaseMs" -}}
{{- .Values.router.leaseMs | default 10000 | int }}
{{- end }}

{{/* Labels of a Service that exposes a role's `metrics` port: the ServiceMonitors select them. */}}
{{- define "parley.metricsServiceLabel" -}}
parley.dev/metrics: "true"
{{- end }}
