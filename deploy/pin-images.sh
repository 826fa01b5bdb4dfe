#!/bin/sh
# pin-images.sh: move the base images of deploy/Dockerfile to the current
# digests of their tags. Needs registry access and one of crane
# (go-containerregistry) or docker buildx. Review the diff, rebuild, run
# the tests, commit.
#
#   deploy/pin-images.sh
set -eu
cd "$(dirname "$0")"
digest() {
	if command -v crane >/dev/null 2>&1; then
		crane digest "$1"
	else
		docker buildx imagetools inspect "$1" --format '{{json .Manifest.Digest}}' | tr -d '"'
	fi
}
grep -E '^FROM [^ ]+@sha256:' Dockerfile | awk '{print $2}' | while read -r ref; do
	image=${ref%@*}
	new=$(digest "$image")
	case $new in
	sha256:????????????????????????????????????????????????????????????????) ;;
	*) echo "pin-images: no digest for $image: $new" >&2; exit 1 ;;
	esac
	sed -i "s|FROM $ref|FROM $image@$new|" Dockerfile
	echo "$image@$new"
done
