{{/*
Names. The Deployments, Services and ServiceAccounts are `<fullname>-gate|issuer|operator`
and the ConfigMaps of the events config `<fullname>-events-<shard>`. The fullname follows Helm's convention: the release
name when it contains "rediclaim" (so `helm install rediclaim` gives the names the
services default to), else `<release>-rediclaim`, so two releases can share a namespace.
Every name the services need is passed to them explicitly, so any fullname works.
*/}}
{{- define "rediclaim.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains "rediclaim" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-rediclaim" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "rediclaim.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rediclaim.gate.name" -}}{{ include "rediclaim.fullname" . }}-gate{{- end -}}
{{- define "rediclaim.issuer.name" -}}{{ include "rediclaim.fullname" . }}-issuer{{- end -}}
{{- define "rediclaim.operator.name" -}}{{ include "rediclaim.fullname" . }}-operator{{- end -}}
{{- define "rediclaim.eventsConfigMap" -}}{{ include "rediclaim.fullname" . }}-events{{- end -}}
{{- /* The events config's shards, <fullname>-events-0 … -<N-1>, as a flow list for
resourceNames. */ -}}
{{- define "rediclaim.eventsConfigMapShards" -}}
{{- $base := include "rediclaim.eventsConfigMap" . -}}
{{- $names := list -}}
{{- range $i := until (int .Values.gate.configShards) -}}
{{- $names = append $names (printf "%s-%d" $base $i) -}}
{{- end -}}
[{{ join ", " $names }}]
{{- end -}}
{{- define "rediclaim.redis.name" -}}{{ include "rediclaim.fullname" . }}-redis{{- end -}}
{{- define "rediclaim.kafka.name" -}}{{ include "rediclaim.fullname" . }}-kafka{{- end -}}
{{- define "rediclaim.mysql.name" -}}{{ include "rediclaim.fullname" . }}-mysql{{- end -}}

{{/* The Secret with the CA and server certificates the chart makes for the bundled dependencies. */}}
{{- define "rediclaim.bundledTls.name" -}}{{ include "rediclaim.fullname" . }}-bundled-tls{{- end -}}

{{/* The bundled dependencies that serve TLS (templates/bundled-tls.yaml makes their certificates). */}}
{{- define "rediclaim.bundledTls.deps" -}}
{{- $deps := list }}
{{- if and .Values.kafka.bundled .Values.kafka.tls.enabled }}{{ $deps = append $deps "kafka" }}{{ end }}
{{- if and .Values.redis.bundled .Values.redis.tls.enabled }}{{ $deps = append $deps "redis" }}{{ end }}
{{- if and .Values.mysql.bundled (ne .Values.mysql.tls.mode "disabled") }}{{ $deps = append $deps "mysql" }}{{ end }}
{{- toJson $deps }}
{{- end -}}

{{/*
Where the clients of a dependency (dict "ctx" $ "dep" "kafka"|"redis"|"mysql") find the CA
that signed its certificate, as JSON {secret, key}: the chart's own for a bundled one
(a caSecret given for it would be a CA the server does not use), else tls.caSecret.
*/}}
{{- define "rediclaim.caOf" -}}
{{- $v := index .ctx.Values .dep }}
{{- if $v.bundled }}
{{- if $v.tls.caSecret }}
{{- fail (printf "%s.tls.caSecret is for your own %s: the bundled one's certificate is signed by the chart's CA (Secret %s)" .dep .dep (include "rediclaim.bundledTls.name" .ctx)) }}
{{- end }}
{{- dict "secret" (include "rediclaim.bundledTls.name" .ctx) "key" "ca.crt" | toJson }}
{{- else }}
{{- dict "secret" $v.tls.caSecret "key" $v.tls.caKey | toJson }}
{{- end }}
{{- end -}}

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

{{/* A service's image: (dict "ctx" $ "image" .Values.gate.image). A digest wins over a tag. */}}
{{- define "rediclaim.image" -}}
{{- $g := .ctx.Values.image -}}
{{- $repo := .image.repository -}}
{{- if $g.registry }}{{ $repo = printf "%s/%s" $g.registry $repo }}{{ end -}}
{{- if .image.digest -}}
{{ $repo }}@{{ .image.digest }}
{{- else -}}
{{ $repo }}:{{ .image.tag | default $g.tag | default .ctx.Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* A public dependency image: (dict "ctx" $ "image" .Values.redis.image). */}}
{{- define "rediclaim.depImage" -}}
{{- $repo := .image.repository -}}
{{- if .ctx.Values.image.registry }}{{ $repo = printf "%s/%s" .ctx.Values.image.registry $repo }}{{ end -}}
{{ $repo }}:{{ .image.tag }}
{{- end -}}

{{- define "rediclaim.pullSecrets" -}}
{{- with .Values.image.pullSecrets -}}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
A pod's annotations: Prometheus scrape annotations (metrics.podAnnotations) plus the
user's. Call with (dict "ctx" $ "port" 9090 "extra" .Values.gate.podAnnotations).
*/}}
{{- define "rediclaim.podAnnotations" -}}
{{- $a := dict -}}
{{- if .ctx.Values.metrics.podAnnotations -}}
{{- $_ := set $a "prometheus.io/scrape" "true" -}}
{{- $_ := set $a "prometheus.io/port" (toString .port) -}}
{{- $_ := set $a "prometheus.io/path" "/metrics" -}}
{{- end -}}
{{- $a = merge (deepCopy (.extra | default dict)) $a -}}
{{- with $a -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* --- where the dependencies are ------------------------------------------- */}}

{{- define "rediclaim.kafka.brokers" -}}
{{- if .Values.kafka.bundled -}}
{{ include "rediclaim.kafka.name" . }}.{{ .Release.Namespace }}.svc:9092
{{- else -}}
{{ required "kafka.brokers is required when kafka.bundled is false (e.g. \"kafka-0.kafka:9092,kafka-1.kafka:9092\")" .Values.kafka.brokers }}
{{- end -}}
{{- end -}}

{{/* The Secret holding the Redis password, or "" when Redis has none. */}}
{{- define "rediclaim.redis.secretName" -}}
{{- if .Values.redis.existingSecret -}}
{{ .Values.redis.existingSecret }}
{{- else if or .Values.redis.bundled .Values.redis.password -}}
{{ include "rediclaim.redis.name" . }}
{{- end -}}
{{- end -}}

{{- define "rediclaim.redis.passwordKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.passwordKey }}{{ else }}redis-password{{ end -}}
{{- end -}}

{{/* REDIS_URL: where Redis is, never who connects (the credentials come from the Secret). */}}
{{- define "rediclaim.redis.url" -}}
{{- if .Values.redis.bundled -}}
{{ ternary "rediss" "redis" .Values.redis.tls.enabled }}://{{ include "rediclaim.redis.name" . }}.{{ .Release.Namespace }}.svc:6379/0
{{- else -}}
{{ ternary "rediss" "redis" .Values.redis.tls.enabled }}://{{ required "redis.host is required when redis.bundled is false" .Values.redis.host }}:{{ .Values.redis.port }}/{{ .Values.redis.db }}
{{- end -}}
{{- end -}}

{{/*
Where the gate's Redis is: REDIS_URL for one server, REDIS_CLUSTER_NODES for your own
Redis Cluster (redis.cluster.nodes); fails on what the gate would refuse at start-up.
*/}}
{{- define "rediclaim.redis.whereEnv" -}}
{{- $nodes := .Values.redis.cluster.nodes | default list }}
{{- if $nodes }}
{{- if .Values.redis.bundled }}
{{- fail "redis.cluster.nodes needs your own Redis Cluster (redis.bundled=false): the bundled Redis is one server" }}
{{- end }}
{{- if .Values.redis.tls.enabled }}
{{- fail "redis.cluster.nodes does not go with redis.tls.enabled: the gate reaches a Redis Cluster in plaintext" }}
{{- end }}
- name: REDIS_CLUSTER_NODES
  value: {{ join "," $nodes | quote }}
- name: REDIS_CLUSTER_REPLICA_WAIT_MS
  value: {{ .Values.redis.cluster.replicaWaitMs | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ include "rediclaim.redis.url" . | quote }}
{{- end }}
{{- end -}}

{{/* The ACL user the gate connects as: redis.username; the bundled Redis always has one. */}}
{{- define "rediclaim.redis.username" -}}
{{- if .Values.redis.username }}{{ .Values.redis.username }}{{ else if .Values.redis.bundled }}rediclaim{{ end -}}
{{- end -}}

{{/*
What the gate's ACL user may do on the bundled Redis (hack/stack's RC_REDIS_TLS=1 has the
same, a test checks): its keys and channels (rc:*, the rate limiter's rc:ratelimit: too),
the commands it and its Lua scripts send, INFO for ioredis' ready check; nothing
@dangerous (FLUSHALL, CONFIG, KEYS, DEBUG, CLIENT KILL), no FUNCTION, SCAN or RANDOMKEY.
*/}}
{{- define "rediclaim.redis.aclRules" -}}
resetkeys ~rc:* resetchannels &rc:* -@all +@read +@write +@pubsub +@connection -@dangerous -function -scan -randomkey +info +time +eval +evalsha
{{- end -}}

{{/* Where the gate finds the Redis CA and client certificate (redis.tls). */}}
{{- define "rediclaim.redis.tlsDir" -}}/etc/rediclaim/redis-tls{{- end -}}

{{/*
The gate's Redis env besides REDIS_URL; fails on what its settings would refuse at
start-up anyway (TLS options on a plaintext URL).
*/}}
{{- define "rediclaim.redis.gateEnv" -}}
{{- $tls := .Values.redis.tls }}
{{- $dir := include "rediclaim.redis.tlsDir" . }}
{{- if and $tls.enabled .Values.redis.bundled $tls.clientCertSecret }}
{{- fail "redis.tls.clientCertSecret is for your own Redis: the bundled one asks for no client certificate (its ACL user and password authenticate the gate)" }}
{{- end }}
{{- if and (not $tls.enabled) (or $tls.caSecret $tls.clientCertSecret $tls.serverName) }}
{{- fail "redis.tls.caSecret, clientCertSecret and serverName need redis.tls.enabled: without it the connection is plaintext" }}
{{- end }}
{{- with include "rediclaim.redis.username" . }}
{{- if not (include "rediclaim.redis.secretName" $) }}
{{- fail "redis.username needs a password (redis.existingSecret or redis.password)" }}
{{- end }}
- name: REDIS_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- with include "rediclaim.redis.secretName" . }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ . }}, key: {{ include "rediclaim.redis.passwordKey" $ }} }
{{- end }}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "redis") | fromJson }}
{{- if and $tls.enabled $ca.secret }}
- name: REDIS_TLS_CA
  value: {{ printf "%s/%s" $dir $ca.key | quote }}
{{- end }}
{{- if $tls.clientCertSecret }}
- name: REDIS_TLS_CERT
  value: {{ printf "%s/tls.crt" $dir | quote }}
- name: REDIS_TLS_KEY
  value: {{ printf "%s/tls.key" $dir | quote }}
{{- end }}
{{- with $tls.serverName }}
- name: REDIS_TLS_SERVERNAME
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The volume holding them: the CA and the client certificate from their Secrets. */}}
{{- define "rediclaim.redis.tlsVolumeMounts" -}}
{{- $tls := .Values.redis.tls }}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "redis") | fromJson }}
{{- if and $tls.enabled (or $ca.secret $tls.clientCertSecret) }}
- name: redis-tls
  mountPath: {{ include "rediclaim.redis.tlsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}
{{- define "rediclaim.redis.tlsVolumes" -}}
{{- $tls := .Values.redis.tls }}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "redis") | fromJson }}
{{- if and $tls.enabled (or $ca.secret $tls.clientCertSecret) }}
- name: redis-tls
  projected:
    # Readable by the pod's fsGroup only: the client key is a secret.
    defaultMode: 288 # 0440
    sources:
      {{- if $ca.secret }}
      - secret:
          name: {{ $ca.secret }}
          items:
            - { key: {{ $ca.key }}, path: {{ $ca.key }} }
      {{- end }}
      {{- if $tls.clientCertSecret }}
      - secret:
          name: {{ $tls.clientCertSecret }}
          items:
            - { key: tls.crt, path: tls.crt }
            - { key: tls.key, path: tls.key }
      {{- end }}
{{- end }}
{{- end -}}

{{- define "rediclaim.mysql.secretName" -}}
{{- if .Values.mysql.existingSecret }}{{ .Values.mysql.existingSecret }}{{ else }}{{ include "rediclaim.mysql.name" . }}{{ end -}}
{{- end -}}

{{- define "rediclaim.mysql.passwordKey" -}}
{{- if .Values.mysql.existingSecret }}{{ .Values.mysql.passwordKey }}{{ else }}mysql-password{{ end -}}
{{- end -}}

{{- define "rediclaim.mysql.url" -}}
{{- $host := .Values.mysql.host -}}
{{- $port := .Values.mysql.port -}}
{{- if .Values.mysql.bundled -}}
{{- $host = printf "%s.%s.svc" (include "rediclaim.mysql.name" .) .Release.Namespace -}}
{{- $port = 3306 -}}
{{- else -}}
{{- $host = required "mysql.host is required when mysql.bundled is false" $host -}}
{{- end -}}
mysql://{{ .Values.mysql.user }}:$(MYSQL_PASSWORD)@{{ $host }}:{{ $port }}/{{ .Values.mysql.database }}
{{- end -}}

{{- define "rediclaim.secrets.name" -}}
{{- if .Values.secrets.existingSecret }}{{ .Values.secrets.existingSecret }}{{ else }}{{ include "rediclaim.fullname" . }}-secrets{{ end -}}
{{- end -}}

{{/*
A generated secret value that survives upgrades: the given value if set, else the value
already stored in the cluster (lookup), else a new random one. `helm template` has no
cluster to look in, so it generates a new value each time: GitOps users set the values.
Call with (dict "ctx" $ "secret" name "key" key "value" given).
*/}}
{{- define "rediclaim.secretValue" -}}
{{- if .value -}}
{{ .value }}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .secret -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{ index $existing.data .key | b64dec }}
{{- else -}}
{{ .prefix | default "" }}{{ randAlphaNum 40 }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Where every service finds the Kafka CA (kafka.tls.caSecret). */}}
{{- define "rediclaim.kafka.caDir" -}}/etc/rediclaim/kafka-tls{{- end -}}

{{/* Common env of every service: Kafka, its TLS and SASL, and the topics. */}}
{{- define "rediclaim.kafkaEnv" -}}
{{- $tls := .Values.kafka.tls }}
{{- $sasl := .Values.kafka.sasl }}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "kafka") | fromJson }}
- name: KAFKA_BROKERS
  value: {{ include "rediclaim.kafka.brokers" . | quote }}
{{- if $tls.enabled }}
- name: KAFKA_TLS
  value: "true"
{{- if $ca.secret }}
- name: KAFKA_TLS_CA_FILE
  value: {{ printf "%s/%s" (include "rediclaim.kafka.caDir" .) $ca.key | quote }}
{{- end }}
{{- end }}
{{- if $sasl.mechanism }}
{{- if and (eq $sasl.mechanism "plain") (not $tls.enabled) }}
{{- fail "kafka.sasl.mechanism plain sends the password as it is: set kafka.tls.enabled, or use scram-sha-512" }}
{{- end }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ include "rediclaim.kafka.saslUsername" . | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "rediclaim.kafka.saslSecretName" . }}
      key: {{ include "rediclaim.kafka.saslPasswordKey" . }}
{{- end }}
- name: TOPIC_PARTITIONS
  value: {{ .Values.kafka.topicPartitions | quote }}
{{- $rf := int .Values.kafka.replicationFactor }}
{{- $isr := int .Values.kafka.minInsyncReplicas }}
{{- if and .Values.kafka.bundled (gt $rf 1) }}
{{- fail "kafka.replicationFactor above 1 needs your own Kafka cluster (kafka.bundled=false, kafka.brokers): the bundled Kafka is one broker" }}
{{- end }}
{{- if and (gt $rf 0) (gt $isr $rf) }}
{{- fail (printf "kafka.minInsyncReplicas (%d) is more than kafka.replicationFactor (%d): no write could ever succeed" $isr $rf) }}
{{- end }}
{{- if gt $rf 0 }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ $rf | quote }}
{{- end }}
{{- if gt $isr 0 }}
- name: KAFKA_MIN_INSYNC_REPLICAS
  value: {{ $isr | quote }}
{{- end }}
{{- with .Values.kafka.topics.issueRequests }}
- name: TOPIC_ISSUE_REQUESTS
  value: {{ . | quote }}
{{- end }}
{{- with .Values.kafka.topics.issueResults }}
- name: TOPIC_ISSUE_RESULTS
  value: {{ . | quote }}
{{- end }}
{{- with .Values.kafka.topics.deadLetters }}
- name: TOPIC_DEAD_LETTERS
  value: {{ . | quote }}
{{- end }}
{{- with .Values.kafka.topics.coupons }}
- name: TOPIC_COUPONS
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Extra env from Secrets: (map of NAME: {name: <secret>, key: <key>}). */}}
{{- define "rediclaim.secretEnv" -}}
{{- range $k, $v := . }}
- name: {{ $k }}
  valueFrom:
    secretKeyRef: { name: {{ $v.name }}, key: {{ $v.key }} }
{{- end -}}
{{- end -}}

{{/* User-supplied extra env: (map of name: value). */}}
{{- define "rediclaim.extraEnv" -}}
{{- range $k, $v := . }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end -}}
{{- end -}}

{{/*
An init container that waits until the bundled dependencies accept TCP connections, so a
fresh dev install starts in order instead of crash-looping into long back-offs. It runs
the service's own image (node), so it needs no other image.
Call with (dict "ctx" $ "image" <image> "targets" (list "host:port" ...)).
*/}}
{{- define "rediclaim.waitForDeps" -}}
{{- if and .ctx.Values.waitForDependencies .targets -}}
initContainers:
  - name: wait-for-dependencies
    image: {{ .image }}
    imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
    command:
      - node
      - -e
      - |
        // Polls each host:port until it accepts a TCP connection (up to 10 minutes).
        const net = require('node:net');
        const targets = process.argv.slice(1);
        const open = (t) => new Promise((resolve) => {
          const [host, port] = t.split(':');
          const s = net.connect({ host, port: Number(port), timeout: 2000 });
          s.once('connect', () => { s.destroy(); resolve(true); });
          s.once('error', () => resolve(false));
          s.once('timeout', () => { s.destroy(); resolve(false); });
        });
        (async () => {
          const deadline = Date.now() + 600000;
          for (const t of targets) {
            while (!(await open(t))) {
              if (Date.now() > deadline) { console.error(`gave up waiting for ${t}`); process.exit(1); }
              console.log(`waiting for ${t}`);
              await new Promise((r) => setTimeout(r, 2000));
            }
            console.log(`${t} is up`);
          }
        })();
      {{- range .targets }}
      - {{ . | quote }}
      {{- end }}
    securityContext:
      {{- toYaml .ctx.Values.securityContext | nindent 6 }}
    resources:
      requests: { cpu: 10m, memory: 32Mi }
      limits: { memory: 64Mi }
{{- end -}}
{{- end -}}

{{/*
A workload's topology spread: the user's constraints, or by default one replica per node
and zone where the scheduler can (ScheduleAnyway: never leaves a pod pending). Counts only
the pods of the same rollout (pod-template-hash), so a rolling update does not skew it.
Call with (dict "ctx" $ "component" "gate" "constraints" .Values.gate.topologySpreadConstraints).
*/}}
{{- define "rediclaim.topologySpread" -}}
topologySpreadConstraints:
{{- if .constraints }}
  {{- toYaml .constraints | nindent 2 }}
{{- else }}
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "rediclaim.selectorLabels" (dict "ctx" $.ctx "component" $.component) | nindent 8 }}
    matchLabelKeys: [pod-template-hash]
{{- end }}
{{- end }}
{{- end -}}

{{/*
The SASL user the services log in as: kafka.sasl.username; the bundled Kafka makes it
(default rediclaim) when its storage is formatted, with the password of
kafka.sasl.existingSecret or one the chart generates (the Secret named like the Kafka).
*/}}
{{- define "rediclaim.kafka.saslUsername" -}}
{{- if .Values.kafka.sasl.username }}{{ .Values.kafka.sasl.username }}
{{- else if .Values.kafka.bundled }}rediclaim
{{- else }}{{ fail "kafka.sasl.username is required with kafka.sasl.mechanism" }}
{{- end -}}
{{- end -}}
{{- define "rediclaim.kafka.saslSecretName" -}}
{{- if .Values.kafka.sasl.existingSecret }}{{ .Values.kafka.sasl.existingSecret }}
{{- else if .Values.kafka.bundled }}{{ include "rediclaim.kafka.name" . }}
{{- else }}{{ fail "kafka.sasl.existingSecret (the Secret with the Kafka user's password) is required with kafka.sasl.mechanism" }}
{{- end -}}
{{- end -}}
{{- define "rediclaim.kafka.saslPasswordKey" -}}
{{- if .Values.kafka.sasl.existingSecret }}{{ .Values.kafka.sasl.passwordKey }}{{ else }}kafka-password{{ end -}}
{{- end -}}

{{/* The Kafka CA's volume mount and volume (every service), when there is a CA to trust. */}}
{{- define "rediclaim.kafkaVolumeMounts" -}}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "kafka") | fromJson }}
{{- if and .Values.kafka.tls.enabled $ca.secret }}
- name: kafka-tls
  mountPath: {{ include "rediclaim.kafka.caDir" . }}
  readOnly: true
{{- end }}
{{- end -}}
{{- define "rediclaim.kafkaVolumes" -}}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "kafka") | fromJson }}
{{- if and .Values.kafka.tls.enabled $ca.secret }}
- name: kafka-tls
  secret:
    secretName: {{ $ca.secret }}
    items:
      - key: {{ $ca.key }}
        path: {{ $ca.key }}
{{- end }}
{{- end -}}

{{/*
The issuer's MYSQL_HOSTS (mysql.hosts); fails on what its settings would refuse at
start-up anyway: the server MYSQL_URL names left out, IP addresses with verify-identity.
*/}}
{{- define "rediclaim.mysql.hostsEnv" -}}
{{- $hosts := .Values.mysql.hosts | default list }}
{{- if $hosts }}
{{- if .Values.mysql.bundled }}
{{- fail "mysql.hosts needs your own replicated MySQL (mysql.bundled=false, mysql.host): the bundled MariaDB is one server" }}
{{- end }}
{{- $named := printf "%s:%v" .Values.mysql.host .Values.mysql.port }}
{{- if not (has $named $hosts) }}
{{- fail (printf "mysql.hosts must include %s (mysql.host:mysql.port, the server MYSQL_URL names): list every server that may be the primary" $named) }}
{{- end }}
{{- if eq .Values.mysql.tls.mode "verify-identity" }}
{{- range $hosts }}
{{- if regexMatch "^([0-9.]+|\\[.*\\]):[0-9]+$" . }}
{{- fail (printf "mysql.tls.mode verify-identity needs every server of mysql.hosts named by a DNS name in its certificate, not an IP address (%s), or use verify-ca" .) }}
{{- end }}
{{- end }}
{{- end }}
- name: MYSQL_HOSTS
  value: {{ join "," $hosts | quote }}
{{- end }}
{{- end -}}

{{/* Where the issuer finds the MySQL CA and client certificate (mysql.tls). */}}
{{- define "rediclaim.mysql.tlsDir" -}}/etc/rediclaim/mysql-tls{{- end -}}

{{/*
The issuer's MYSQL_TLS_* env; fails on what its settings would refuse at start-up anyway,
so a wrong release is caught by helm, not by a crash-looping pod.
*/}}
{{- define "rediclaim.mysql.tlsEnv" -}}
{{- $tls := .Values.mysql.tls }}
{{- $dir := include "rediclaim.mysql.tlsDir" . }}
{{- if ne $tls.mode "disabled" }}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "mysql") | fromJson }}
{{- if and .Values.mysql.bundled $tls.clientCertSecret }}
{{- fail "mysql.tls.clientCertSecret is for your own MySQL: the bundled MariaDB's user needs no client certificate" }}
{{- end }}
{{- if and .Values.mysql.bundled (eq $tls.mode "required") }}
{{- fail "mysql.tls.mode required does not check the bundled MariaDB's certificate, which the chart's CA signs: use verify-identity" }}
{{- end }}
{{- if and (has $tls.mode (list "verify-ca" "verify-identity")) (not $ca.secret) }}
{{- fail (printf "mysql.tls.caSecret (the Secret with the CA that signed your MySQL's certificate) is required with mysql.tls.mode %s" $tls.mode) }}
{{- end }}
{{- if and (eq $tls.mode "required") $tls.caSecret }}
{{- fail "mysql.tls.caSecret is not used with mysql.tls.mode required, which does not check the server's certificate: use verify-identity (or verify-ca)" }}
{{- end }}
{{- if and (eq $tls.mode "verify-identity") (regexMatch "^([0-9.]+|.*:.*)$" .Values.mysql.host) }}
{{- fail "mysql.tls.mode verify-identity needs mysql.host to be a DNS name in the server's certificate, not an IP address (or use verify-ca)" }}
{{- end }}
- name: MYSQL_TLS_MODE
  value: {{ $tls.mode | quote }}
{{- if $ca.secret }}
- name: MYSQL_TLS_CA
  value: {{ printf "%s/%s" $dir $ca.key | quote }}
{{- end }}
{{- if $tls.clientCertSecret }}
- name: MYSQL_TLS_CERT
  value: {{ printf "%s/tls.crt" $dir | quote }}
- name: MYSQL_TLS_KEY
  value: {{ printf "%s/tls.key" $dir | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The volume holding them: the CA and the client certificate from their Secrets. */}}
{{- define "rediclaim.mysql.tlsVolumeMounts" -}}
{{- $tls := .Values.mysql.tls }}
{{- if and (ne $tls.mode "disabled") (or $tls.caSecret $tls.clientCertSecret .Values.mysql.bundled) }}
- name: mysql-tls
  mountPath: {{ include "rediclaim.mysql.tlsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}
{{- define "rediclaim.mysql.tlsVolumes" -}}
{{- $tls := .Values.mysql.tls }}
{{- if and (ne $tls.mode "disabled") (or $tls.caSecret $tls.clientCertSecret .Values.mysql.bundled) }}
{{- $ca := include "rediclaim.caOf" (dict "ctx" . "dep" "mysql") | fromJson }}
- name: mysql-tls
  projected:
    # Readable by the pod's fsGroup only: the client key is a secret.
    defaultMode: 288 # 0440
    sources:
      {{- if $ca.secret }}
      - secret:
          name: {{ $ca.secret }}
          items:
            - { key: {{ $ca.key }}, path: {{ $ca.key }} }
      {{- end }}
      {{- if $tls.clientCertSecret }}
      - secret:
          name: {{ $tls.clientCertSecret }}
          items:
            - { key: tls.crt, path: tls.crt }
            - { key: tls.key, path: tls.key }
      {{- end }}
{{- end }}
{{- end -}}

{{/* --- the ports each dependency is reached on, for the NetworkPolicies (JSON arrays) --- */}}

{{/* The ports of a list of "host:port" strings, each once. */}}
{{- define "rediclaim.networkPolicy.portsOf" -}}
{{- $ports := list }}
{{- range $hp := . }}
{{- $p := regexFind "[0-9]+$" (trim $hp) }}
{{- if not $p }}{{ fail (printf "%q has no port: write host:port" $hp) }}{{ end }}
{{- $ports = append $ports (atoi $p) }}
{{- end }}
{{- $ports | uniq | toJson }}
{{- end -}}

{{- define "rediclaim.networkPolicy.redisPorts" -}}
{{- if .Values.redis.bundled -}}[6379]
{{- else if .Values.redis.cluster.nodes -}}{{ include "rediclaim.networkPolicy.portsOf" .Values.redis.cluster.nodes }}
{{- else -}}{{ list (int .Values.redis.port) | toJson }}
{{- end -}}
{{- end -}}

{{- define "rediclaim.networkPolicy.kafkaPorts" -}}
{{ include "rediclaim.networkPolicy.portsOf" (splitList "," (include "rediclaim.kafka.brokers" .)) }}
{{- end -}}

{{- define "rediclaim.networkPolicy.mysqlPorts" -}}
{{- if .Values.mysql.bundled -}}[3306]
{{- else -}}
{{- $ports := list (int .Values.mysql.port) }}
{{- range $p := include "rediclaim.networkPolicy.portsOf" (.Values.mysql.hosts | default list) | fromJsonArray }}{{ $ports = append $ports (int $p) }}{{ end }}
{{- $ports | uniq | toJson }}
{{- end -}}
{{- end -}}
