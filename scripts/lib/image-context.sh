# Shared by scripts/docker-plugin-create and scripts/kube-image (sourced, not run): what goes into
# an image from this checkout, and the project's version.

javaoverlay_home=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Fails with what to do unless the README's build command has run.
require_built() {
    if [ ! -f "$javaoverlay_home/cli/target/lib/javaoverlay-cli.jar" ]; then
        echo "$(basename "$0"): build the project first: (cd $javaoverlay_home && mvn -q -DskipTests package)" >&2
        exit 1
    fi
}

# copy_build DIR: the launcher and the jars it runs, as DIR/bin/javaoverlay (and its DIR/bin/flanneld
# link) and DIR/cli/target/lib
# (the launcher finds its jars relative to itself, so DIR works as JAVAOVERLAY_HOME).
copy_build() {
    mkdir -p "$1/bin" "$1/cli/target"
    cp "$javaoverlay_home/bin/javaoverlay" "$1/bin/"
    cp -P "$javaoverlay_home/bin/flanneld" "$1/bin/"   # the link: the agent under flanneld's name
    cp -r "$javaoverlay_home/cli/target/lib" "$1/cli/target/lib"
}

# The release the checkout builds: the parent pom's version without -SNAPSHOT (0.1.0).
project_version() {
    sed -n '/<artifactId>javaoverlay-parent<\/artifactId>/,/<version>/ s|.*<version>\(.*\)</version>.*|\1|p' \
        "$javaoverlay_home/pom.xml" | head -n 1 | sed 's/-SNAPSHOT$//'
}
