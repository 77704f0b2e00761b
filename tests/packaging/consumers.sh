#!/usr/bin/env bash
# The packaging tests (registered in tests/CMakeLists.txt): tapegrad used by a project of its own,
# examples/consumer, the three ways docs/using-tapegrad.md describes. Each step prints its command.
#
#   consumers.sh install          BUILD PREFIX SOURCE
#   consumers.sh find-package     PREFIX SOURCE WORK VERSION ISAS [cmake arguments...]
#   consumers.sh pkg-config       PREFIX LIBDIR SOURCE WORK VERSION ISAS CXX [compiler flags...]
#
# ISAS is the list of instruction sets the library was built with, e.g. "sse2 avx2 avx512".
#   consumers.sh add-subdirectory SOURCE WORK [cmake arguments...]
#   consumers.sh symbols          LIBRARY.a
#
# WORK folders are kept between runs, so a rerun rebuilds only what changed.
set -euo pipefail

run() {
  echo "+ $*"
  "$@"
}

fail() {
  echo "FAIL: $*"
  exit 1
}

# The consumer prints "tapegrad <version> (headers <version>)", tg::isa_report() and "loss A -> B";
# it exits 0 only when the two versions agree and the loss has at least halved. Its kernels must be
# the library's, every pass of them: the default run and one run per instruction set this CPU has,
# forced with TG_ISA, must each work and report the set they ran with.
check_consumer() {  # BINARY VERSION ISAS
  local binary=$1 version=$2 isas=$3 out status isa cpu
  out=$("$binary" 2>&1) || { echo "$out"; fail "$binary exited with status $?"; }
  echo "$out"
  [[ $out == "tapegrad $version (headers $version)"* ]] || fail "$binary does not report version $version"
  [[ $out == *"(compiled: $isas;"* ]] || fail "$binary does not run a library with the kernels for $isas"
  cpu=$(echo "$out" | sed -n 's/.*this cpu: \([^)]*\)).*/\1/p')
  for isa in $isas; do
    [[ " $cpu " == *" $isa "* ]] || continue
    status=0
    out=$(TG_ISA=$isa "$binary" 2>&1) || status=$?
    [[ $status -eq 0 && $out == *"isa: $isa "* ]] || fail "with TG_ISA=$isa: status $status: $out"
    echo "with TG_ISA=$isa: $(echo "$out" | tail -1)"
  done
}

mode=$1
shift
case $mode in
  install)
    build=$1 prefix=$2 source=$3
    rm -rf "$prefix"  # no header left over from an earlier install
    run cmake --install "$build" --prefix "$prefix"
    # Every header of the library is installed, in its folder: all the tree's headers but the
    # programs', the tests' and the fuzz harnesses' (from git when the sources are a checkout, so a new folder counts).
    if git -C "$source" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
      expected=$(git -C "$source" ls-files -- '*.h' ':!tests' ':!examples' ':!bench' ':!tools' ':!fuzz' | sort)
    else
      expected=$(cd "$source" && ls tapegrad.h {tensor,autograd,ops,nn,optim,train,datasets}/*.h | sort)
    fi
    installed=$(cd "$prefix/include/tapegrad" && find . -name '*.h' ! -path ./tensor/version.h | sed 's|^\./||' | sort)
    [[ $expected == "$installed" ]] || fail "installed headers differ from the sources':
$(diff <(echo "$expected") <(echo "$installed"))"
    [[ -f $prefix/include/tapegrad/tensor/version.h ]] || fail "the generated tensor/version.h is not installed"
    ;;

  find-package)
    prefix=$1 source=$2 work=$3 version=$4 isas=$5
    shift 5
    run cmake -S "$source/examples/consumer" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" -DTAPEGRAD_SOURCE_DIR= "$@"
    found=$(sed -n 's/^tapegrad_DIR:PATH=//p' "$work/CMakeCache.txt")
    [[ $found == "$prefix"/* ]] || fail "find_package found tapegrad in '$found', not under $prefix"
    run cmake --build "$work" -j2
    check_consumer "$work/consumer" "$version" "$isas"
    ;;

  pkg-config)
    prefix=$1 libdir=$2 source=$3 work=$4 version=$5 isas=$6 cxx=$7
    shift 7
    export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
    [[ $(pkg-config --modversion tapegrad) == "$version" ]] || fail "pkg-config reports version $(pkg-config --modversion tapegrad)"
    mkdir -p "$work"
    binary=$work/consumer
    # Rebuild only when the program, the library or an installed header is newer than the binary.
    if [[ ! -x $binary || $source/examples/consumer/main.cpp -nt $binary ||
          -n $(find "$prefix/include" "$prefix/$libdir" -type f -newer "$binary" -print -quit) ]]; then
      # The plain command line: no CMake, the flags come from tapegrad.pc alone.
      # shellcheck disable=SC2046
      run "$cxx" -O2 "$@" "$source/examples/consumer/main.cpp" -o "$binary" $(pkg-config --cflags --libs tapegrad)
    fi
    # A shared libtapegrad outside the loader's default folders is found through LD_LIBRARY_PATH
    # (pkg-config gives no rpath); a static one makes this a no-op.
    export LD_LIBRARY_PATH=$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    # Linked the plain way against libtapegrad.a, the program has every kernel pass (they are
    # objects in the archive, reached through the dispatch tables of the baseline code).
    check_consumer "$binary" "$version" "$isas"
    ;;

  add-subdirectory)
    source=$1 work=$2
    shift 2
    run cmake -S "$source/examples/consumer" -B "$work" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DTAPEGRAD_SOURCE_DIR="$source" "$@"
    # tapegrad looked for none of its programs' dependencies and added none of their folders.
    for package in Catch2 CLI11 nlohmann_json benchmark; do
      ! grep -q "^${package}_DIR:" "$work/CMakeCache.txt" || fail "add_subdirectory(tapegrad) looked for $package"
    done
    for folder in tests examples tools bench; do
      [[ ! -d $work/tapegrad/$folder ]] || fail "add_subdirectory(tapegrad) added $folder/"
    done
    # Everything the consumer's build would compile is the library or the consumer itself.
    outputs=$(ninja -C "$work" -t commands all | grep -o -- ' -o [^ ]*' | sed 's/^ -o //')
    echo "$outputs" | sed 's/^/  builds /'
    others=$(echo "$outputs" | grep -v -e '^tapegrad/CMakeFiles/tapegrad\.dir/' -e '^tapegrad/CMakeFiles/tapegrad_[a-z0-9]*\.dir/' \
                                      -e '^tapegrad/libtapegrad\.' -e '^CMakeFiles/consumer\.dir/' -e '^consumer$' || true)
    [[ -z $others ]] || fail "the consumer's build would also make: $others"
    # <tapegrad/tapegrad.h> and the library's usage requirements work from the source tree
    # (compiling the consumer; linking it would build the whole library).
    run ninja -C "$work" CMakeFiles/consumer.dir/main.cpp.o
    ;;

  symbols)
    # A function defined in two members of the archive links without a word: the linker takes the
    # first member that has it, which may be a kernel pass compiled for AVX-512 (a file listed in
    # tg_kernel_sources whose function is not inside `#if TG_OP_PASS`). A shared build would fail
    # to link; the static one must not be allowed to hide it.
    twice=$(nm -A --defined-only "$1" | awk '$2 ~ /^[TDBR]$/ { n = split($1, at, ":"); seen[$3] = seen[$3] " " at[n - 1]; count[$3]++ }
                                             END { for (s in count) if (count[s] > 1) print s ":" seen[s] }')
    [[ -z $twice ]] || fail "symbols defined in more than one object of $1 (demangle with c++filt):
$twice"
    ;;

  *)
    fail "unknown mode '$mode'"
    ;;
esac
echo "ok: $mode"
