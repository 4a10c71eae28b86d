#!/bin/sh
# kafka-server-start.sh of the official distribution: the broker in the foreground, with
# the heap, logging and JVM options the chart sets (KAFKA_HEAP_OPTS, KAFKA_LOG4J_OPTS,
# KAFKA_JVM_PERFORMANCE_OPTS). Logs go to stdout.
[ $# -ge 1 ] || { echo "usage: kafka-server-start.sh server.properties" >&2; exit 2; }
exec java ${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  ${KAFKA_LOG4J_OPTS:-} -cp '/opt/kafka/libs/*' kafka.Kafka "$@"
