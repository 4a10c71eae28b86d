# Apache Kafka's broker jars from Maven Central (hack/kafka/pom.xml), cached under $CACHE:
# hack/stack runs the broker from them, hack/cluster bakes them into the bundled Kafka
# image. Sourced after hack/lib/common.sh, with ROOT and CACHE set.

KAFKA_VERSION=3.9.1

kafka_libs() { echo "$CACHE/kafka-$KAFKA_VERSION-$(hash_of "$ROOT/hack/kafka/pom.xml")/libs"; }

install_kafka_jars() {
  [[ -f $(kafka_libs)/.complete ]] || with_cache_lock kafka-jars fetch_kafka_jars
}

fetch_kafka_jars() {
  local libs; libs=$(kafka_libs)
  [[ -f $libs/.complete ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  log "fetching the Kafka $KAFKA_VERSION broker jars from Maven Central (cached in $libs)"
  rm -rf "$libs"
  mvn -q -B -f "$ROOT/hack/kafka/pom.xml" dependency:copy-dependencies -Dlibs.dir="$libs" ||
    die "could not fetch the Kafka jars with Maven"
  touch "$libs/.complete"
}
