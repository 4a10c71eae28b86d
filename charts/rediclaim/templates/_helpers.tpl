{{/*
Names. The Deployments, Services and ServiceAccounts are `<fullname>-gate|issuer|operator`
and the ConfigMap `<fullname>-events`: with the default fullname "rediclaim" these are the
names CONTRACTS.md fixes (and the services' defaults), whatever the release is called.
Every name the services need is passed to them explicitly, so fullnameOverride works too.
*/}}
{{- define "rediclaim.fullname" -}}
{{- default "rediclaim" .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "rediclaim.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rediclaim.gate.name" -}}{{ include "rediclaim.fullname" . }}-gate{{- end -}}
{{- define "rediclaim.issuer.name" -}}{{ include "rediclaim.fullname" . }}-issuer{{- end -}}
{{- define "rediclaim.operator.name" -}}{{ include "rediclaim.fullname" . }}-operator{{- end -}}
{{- define "rediclaim.eventsConfigMap" -}}{{ include "rediclaim.fullname" . }}-events{{- end -}}

{{/* Labels every object carries. Call with (dict "ctx" $ "component" "gate"). */}}
{{- define "rediclaim.labels" -}}
helm.sh/chart: {{ include "rediclaim.chart" .ctx }}
{{ include "rediclaim.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: rediclaim
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The labels a selector matches: stable across upgrades, so never the version. */}}
{{- define "rediclaim.selectorLabels" -}}
app.kubernetes.io/name: rediclaim
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}
