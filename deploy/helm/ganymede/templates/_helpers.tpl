{{/* Names and labels shared by every template. */}}

{{- define "ganymede.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ganymede.notebookNamespace" -}}
{{- default .Release.Namespace .Values.notebookNamespace -}}
{{- end -}}

{{- define "ganymede.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ganymede.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/ */}}
{{- define "ganymede.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: ganymede
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ganymede
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Selector of the hub pods. `part-of: ganymede` + `component: hub` are also what each
notebook's NetworkPolicy admits (src/kubernetes/resources/settings.ts: hubPodLabels).
*/}}
{{- define "ganymede.hubSelector" -}}
app.kubernetes.io/name: ganymede
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: hub
{{- end -}}

{{- define "ganymede.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Whether the store is PostgreSQL (several replicas possible) rather than SQLite. */}}
{{- define "ganymede.usesDatabase" -}}
{{- if or .Values.database.url .Values.database.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* The hub configuration file: generated keys, then the user's `config` over them. */}}
{{- define "ganymede.config" -}}
{{- /* Notebook pods reach the hub's API through its Service (JUPYTERHUB_API_URL). */ -}}
{{- $connectUrl := printf "http://%s.%s.svc:%d" (include "ganymede.fullname" .) .Release.Namespace (int .Values.service.port) -}}
{{- $generated := dict
  "hub" (dict "host" "0.0.0.0" "port" 8000 "connectUrl" $connectUrl)
  "backend" (dict "type" "kubernetes" "kubernetes" (dict
    "namespace" (include "ganymede.notebookNamespace" .)
    "runOperator" .Values.operator.enabled
    "startTimeoutSeconds" (int .Values.startTimeoutSeconds)))
-}}
{{- if .Values.publicUrl -}}
{{- $_ := set $generated.hub "publicUrl" .Values.publicUrl -}}
{{- end -}}
{{- if .Values.notebookIngress.enabled -}}
{{- $ir := dict "baseDomain" (required "notebookIngress.baseDomain is required when notebookIngress.enabled" .Values.notebookIngress.baseDomain) -}}
{{- with .Values.notebookIngress.cookieDomain }}{{ $_ := set $ir "cookieDomain" . }}{{ end -}}
{{- with .Values.notebookIngress.className }}{{ $_ := set $ir "className" . }}{{ end -}}
{{- if .Values.notebookIngress.tlsSecretName -}}
{{- $_ := set $ir "tlsSecretName" .Values.notebookIngress.tlsSecretName -}}
{{- else -}}
{{- $_ := set $ir "scheme" "http" -}}
{{- end -}}
{{- $_ := set $generated "ingressRouting" $ir -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite $generated (deepCopy .Values.config)) -}}
{{- end -}}
