# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bash completion for netlimit(8): commands, each command's options, limit
# names and ids (from `netlimit list --json`, root or through the service),
# interfaces, and the words some options take. Needs nothing but bash.

_netlimit_limits()
{
	netlimit list --json 2>/dev/null |
		tr '{' '\n' |
		sed -n 's/.*"id":\([0-9]*\),"name":"\([^"]*\)".*/\1 \2/p' |
		tr ' ' '\n' | sed '/^$/d'
}

# This network namespace's interfaces (/sys/class/net may show another's).
_netlimit_ifaces()
{
	ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \([^:@ ]*\).*/\1/p'
}

_netlimit()
{
	local cur=${COMP_WORDS[COMP_CWORD]} cmd= i
	local commands="run attach host iface down up list show top set reset detach wait gc audit inspect watch serve save restore meter stat daemon"
	local caps="--limit= --in= --out= --rate= --in-rate= --out-rate= --burst= --period="
	local common="--name= --json --verbose --quiet --help"
	local scope="--only= --exclude= --count="

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--) return 0 ;; # run's command: the shell's own completion is better
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return 0
	fi
	case $cur in
	--on-limit=*)
		COMPREPLY=($(compgen -P --on-limit= -W "kill block throttle: down drop" -- "${cur#--on-limit=}"))
		return 0 ;;
	--period=*)
		COMPREPLY=($(compgen -P --period= -W "day week month month: none" -- "${cur#--period=}"))
		return 0 ;;
	--count=*)
		COMPREPLY=($(compgen -P --count= -W "l3 wire" -- "${cur#--count=}"))
		return 0 ;;
	--view=*)
		COMPREPLY=($(compgen -P --view= -W "processes cgroups hosts interfaces limits" -- "${cur#--view=}"))
		return 0 ;;
	--sort=*)
		COMPREPLY=($(compgen -P --sort= -W "rate in-rate out-rate total in out" -- "${cur#--sort=}"))
		return 0 ;;
	--direction=*)
		COMPREPLY=($(compgen -P --direction= -W "in out total" -- "${cur#--direction=}"))
		return 0 ;;
	--iface=*)
		COMPREPLY=($(compgen -P --iface= -W "$(_netlimit_ifaces)" -- "${cur#--iface=}"))
		return 0 ;;
	--limit=*)
		[ "$cmd" = watch ] && COMPREPLY=($(compgen -P --limit= -W "$(_netlimit_limits)" -- "${cur#--limit=}"))
		return 0 ;;
	esac
	case $cmd in
	run) COMPREPLY=($(compgen -W "$caps $scope $common --on-limit= --grace= --drain= --user= --" -- "$cur")) ;;
	attach) COMPREPLY=($(compgen -W "--pid= --cgroup= --no-children $caps $scope $common --on-limit= --grace=" -- "$cur")) ;;
	host) COMPREPLY=($(compgen -W "$caps $common --cgroup= --count= --on-limit=" -- "$cur")) ;;
	iface)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$caps $common --count= --on-limit=" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_netlimit_ifaces)" -- "$cur"))
		fi ;;
	down | up) COMPREPLY=($(compgen -W "$(_netlimit_ifaces)" -- "$cur")) ;;
	show | reset | detach | wait)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--json --verbose --quiet --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_netlimit_limits)" -- "$cur"))
		fi ;;
	set)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$caps --verbose --quiet --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_netlimit_limits)" -- "$cur"))
		fi ;;
	list | stat) COMPREPLY=($(compgen -W "--json --verbose --quiet --help" -- "$cur")) ;;
	meter) COMPREPLY=($(compgen -W "on off status --json --help" -- "$cur")) ;;
	gc) COMPREPLY=($(compgen -W "--legacy --verbose --quiet --help" -- "$cur")) ;;
	top) COMPREPLY=($(compgen -W "--view= --sort= --filter= --numeric --once --json --interval= --iterations= --timeout= --verbose --quiet --help" -- "$cur")) ;;
	inspect) COMPREPLY=($(compgen -W "--json --watch --interval= --timeout= --verbose --quiet --help" -- "$cur")) ;;
	watch) COMPREPLY=($(compgen -W "--process --process= --cgroup --cgroup= --host --host= --iface --iface= --limit --limit= --above= --direction= --for= --exec= --interval= --timeout= --json --verbose --quiet --help" -- "$cur")) ;;
	audit) COMPREPLY=($(compgen -W "--json --output= --rotate= --keep= --cgroup= --pid= --timeout= --verbose --quiet --help" -- "$cur")) ;;
	serve) COMPREPLY=($(compgen -W "--listen= --textfile= --interval= --per-process --once --verbose --quiet --help" -- "$cur")) ;;
	save | restore) COMPREPLY=($(compgen -f -- "$cur") $(compgen -W "--verbose --quiet --help" -- "$cur")) ;;
	daemon) COMPREPLY=($(compgen -W "--socket= --socket-group= --state-file= --save-interval= --verbose --quiet --help" -- "$cur")) ;;
	esac
	# An option that takes a value: no space after its '='.
	[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
	return 0
}
complete -F _netlimit netlimit
