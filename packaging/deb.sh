#!/bin/sh
# Builds OUT/connrate_VERSION_ARCH.deb from STAGE/debian/connrate, which `make install-bin
# PREFIX=/usr` filled: strips the program, compresses the man pages as Debian does, takes
# Depends from dpkg-shlibdeps (the libraries the program links) plus plplot-driver-cairo (the
# PLplot device the figures load at run time), then packs with dpkg-deb as root:root.
# usage: packaging/deb.sh STAGE VERSION OUT
set -eu
stage=$1 version=$2 out=$3
here=$(dirname "$0")
root=$stage/debian/connrate
arch=$(dpkg --print-architecture)
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/connrate"
gzip -9n "$root"/usr/share/man/man1/*.1
size=$(du -sk --apparent-size "$root" | cut -f1)
# dpkg-shlibdeps takes the package's name from debian/control, and knows a package's tree by its
# DEBIAN directory
mkdir -p "$root/DEBIAN"
printf 'Source: connrate\n\nPackage: connrate\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O debian/connrate/usr/bin/connrate |
         sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "packaging/deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
sed -e "s|@version@|$version|" -e "s|@arch@|$arch|" -e "s|@size@|$size|" \
    -e "s|@depends@|$shlibs, plplot-driver-cairo|" "$here/control.in" > "$root/DEBIAN/control"
deb=$out/connrate_${version}_$arch.deb
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
