#!/bin/sh
# kafka-storage.sh of the official distribution, reduced to what the chart runs
# (`format --ignore-formatted -t <cluster id> -c <server.properties>`).
exec java -Xmx256m ${KAFKA_LOG4J_OPTS:-} -cp '/opt/kafka/libs/*' kafka.tools.StorageTool "$@"
