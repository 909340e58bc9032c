#!/bin/sh
# The flag tables of cli/ against kft(1) and the shells:
#  1. every flag in the tables (as `kft __complete` reads them) heads an entry of
#     man/man1/kft.1, and every flag that heads an entry there is in the tables;
#  2. `kft completion bash|zsh|fish` loads in a real bash, zsh and fish and
#     completes a job name (asked from the local backend), a step, a runtime and
#     an enumerated value. zsh is driven interactively through its zpty module
#     (Tab pressed in a real interactive shell); fish through `complete -C`.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
T=$(mktemp -d /tmp/kft-complete.XXXXXX)
trap 'rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_BACKEND=local PATH="$BUILD:$PATH"
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$K" ] || fail "$K not built"

# ---- 1. tables <-> kft.1 ----
{
	"$K" __complete -
	for c in $("$K" __complete '' | cut -f1); do "$K" __complete "$c" -; done
} | cut -f1 | sort -u >"$T/table"
[ "$(wc -l <"$T/table")" -gt 60 ] || fail "too few flags from kft __complete: $(wc -l <"$T/table")"
# flags that head a .TP entry (the line after .TP), with \- unescaped
awk 'p { print; p = 0 } /^\.TP/ { p = 1 }' "$TOP/man/man1/kft.1" | sed 's/\\-/-/g' |
	grep -oE '(^|[^A-Za-z0-9-])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[^-]//' | sort -u >"$T/man"
n=0
while read -r f; do
	n=$((n + 1))
	grep -qx -- "$f" "$T/man" || fail "flag $f is in the tables but no entry of kft.1 is headed by it"
done <"$T/table"
while read -r f; do
	grep -qx -- "$f" "$T/table" || fail "kft.1 documents $f, which no flag table declares"
done <"$T/man"
echo "ok: $n flags, the same in the tables and kft.1"
# README.md: every flag its kft command lines use is in the tables, every command they
# use exists, and each visible command appears in the README at least once
awk '/^```sh$/{f=1;next} /^```$/{f=0} f' "$TOP/README.md" | sed 's/#.*//' |
	grep -E '(^|[;$( ])kft ' | sed 's/.*kft /kft /; s/[)|].*//' >"$T/readme.kft"
[ -s "$T/readme.kft" ] || fail "no kft command lines in README.md"
for f in $(grep -oE '(^| )--?[a-z][a-z0-9-]*' "$T/readme.kft" | sed 's/^ //' | sort -u); do
	grep -qx -- "$f" "$T/table" || fail "README.md uses $f, which no flag table declares"
done
for c in $("$K" __complete '' | cut -f1); do
	grep -Eq "kft( -[a-z] [^ ]+| --[a-z-]+ [^ ]+)* $c( |\$)" "$T/readme.kft" ||
		fail "README.md never shows kft $c"
done
echo "ok: README.md's kft lines use only declared flags and show every command"
# the exit statuses kft --help names are the ones kft.1 documents
for st in $("$K" --help | sed -n 's/^Exit status: //p' | grep -oE '[0-9]+'); do
	awk '/^\.SH EXIT STATUS/{f=1;next} /^\.SH/{f=0} f' "$TOP/man/man1/kft.1" | grep -qx "\.B $st" ||
		fail "kft --help names exit status $st, kft.1 does not"
done
# every command's --help is made from the same tables: one sample per group
"$K" train --help | grep -q -- '--lora-dropout F' || fail "train --help lacks a TorchTune flag"
"$K" logs --help | grep -q -- '-f, --follow' || fail "logs --help lacks -f, --follow"

# ---- 2. the shells ----
"$K" train --runtime torch-distributed --nodes 2 --name cmp-alpha -- true >/dev/null || fail train
"$K" train --runtime torch-distributed --name cmp-beta -- true >/dev/null || fail train
"$K" wait cmp-alpha --timeout 60 2>/dev/null || fail "wait cmp-alpha"

# the protocol itself
"$K" __complete logs cmp-al | grep -qx 'cmp-alpha	Complete' || fail "__complete job name"
[ "$("$K" __complete logs cmp-alpha --step node-1 | cut -f1)" = node-1 ] || fail "__complete step"
"$K" __complete train --runtime torchtune- | grep -q '^torchtune-llama3.2-1b' ||
	fail "__complete runtime"
[ "$("$K" __complete wait cmp-alpha --for Complete,Fa)" = Complete,Failed ] || fail "__complete list"
[ "$("$K" __complete train -f x)" = :file ] || fail "__complete -f: file"
[ -z "$("$K" __complete --state-dir "$T/none" logs cmp-)" ] ||
	fail "__complete ignored --state-dir on the command line"

bash_out=$(bash -c '
	source <(kft completion bash) || exit 9
	COMP_WORDS=(kft logs cmp-a); COMP_CWORD=2; _kft; echo "job=${COMPREPLY[*]}"
	COMP_WORDS=(kft logs cmp-alpha --step ""); COMP_CWORD=4; _kft; echo "step=${COMPREPLY[*]}"
	COMP_WORDS=(kft get --out); COMP_CWORD=2; _kft; echo "flag=${COMPREPLY[*]}"
	COMP_WORDS=(kft -o y); COMP_CWORD=2; _kft; echo "enum=${COMPREPLY[*]}"
' 2>&1) || fail "bash: $bash_out"
echo "$bash_out" | grep -qx 'job=cmp-alpha' || fail "bash job name: $bash_out"
echo "$bash_out" | grep -qx 'step=node-0 node-1' || fail "bash steps: $bash_out"
echo "$bash_out" | grep -qx 'flag=--output' || fail "bash flag: $bash_out"
echo "$bash_out" | grep -qx 'enum=yaml' || fail "bash -o value: $bash_out"
echo "ok: bash completes job names, steps, flags and values"

if command -v fish >/dev/null 2>&1; then
	out=$(fish -c 'kft completion fish | source; complete -C "kft delete cmp-"' 2>&1) ||
		fail "fish: $out"
	echo "$out" | grep -q '^cmp-alpha	Complete$' || fail "fish job names: $out"
	echo "$out" | grep -q '^cmp-beta' || fail "fish job names: $out"
	echo "ok: fish completes job names"
else
	echo "note: fish not installed (scripts/deps.d/cli.txt): fish completion not tried"
	nofish=1
fi

if command -v zsh >/dev/null 2>&1; then
	cat >"$T/drive.zsh" <<'EOF'
zmodload zsh/zpty || exit 9
zpty z zsh -f -i
zpty -w z 'PS1="> "; autoload -U compinit; compinit -u -D; source <(kft completion zsh)'
sleep 1
zpty -w -n z $'kft events cmp-alp\t'
all=
for i in 1 2 3 4 5 6 7 8 9 10; do
	sleep 0.3
	out=
	zpty -r -t z out && all+=$out
	[[ $all == *'events cmp-alpha'* ]] && break
done
print -r -- "$all"
zpty -d z
EOF
	out=$(cd "$T" && timeout 30 zsh -f "$T/drive.zsh" 2>&1)
	echo "$out" | grep -q 'kft events cmp-alpha' || fail "zsh did not complete the job name: $(echo "$out" | tail -3)"
	echo "ok: zsh completes a job name on Tab"
else
	echo "note: zsh not installed (scripts/deps.d/cli.txt): zsh completion not tried"
	nozsh=1
fi
if [ -n "${nofish:-}${nozsh:-}" ]; then
	echo "skip: bash passed; zsh or fish missing (install scripts/deps.d/cli.txt)"; exit 77
fi
echo "PASS: flag tables = kft.1; completion in bash, zsh and fish"
