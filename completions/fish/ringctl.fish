# ringctl.fish - fish completion for ringctl.
# tests/cli/completions.bats and options.bats check it against the
# commands' option templates (`ringctl help COMMAND`).

set -l commands run validate launch link unlink activate deactivate reactivate terminate send recv state list stats kernels describe shell server servers kill-server help

function __ringctl_ids
    ringctl list --json 2>/dev/null | string replace -rf '^\{"id":"([^"]*)".*' '$1'
end

function __ringctl_servers
    ringctl servers --json 2>/dev/null | string replace -rf '^\{"name":"([^"]*)".*' '$1'
end

function __ringctl_kernels
    ringctl kernels 2>/dev/null | string replace -r ' .*' ''
end

complete -c ringctl -f
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -s L -l name -xa '(__ringctl_servers)' -d 'server name'
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -s S -l socket -r -d 'server socket'
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -l plugin-path -r -d 'plugin directories'
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -s q -l quiet -d 'only data and errors'
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -s v -l verbose -d 'say more'
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'show the help'
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -s V -l version -d 'show the version'
complete -c ringctl -n "not __fish_seen_subcommand_from $commands" -a "$commands"

complete -c ringctl -n "__fish_seen_subcommand_from run" -F -l param -l max-line -l on-error -l queue-size -l envelope -l stats -l progress -l drain-timeout -l help
complete -c ringctl -n "__fish_seen_subcommand_from run" -l backend -xa 'auto cpu cuda'
complete -c ringctl -n "__fish_seen_subcommand_from run send" -l unknown-fields -xa 'refuse ignore'
complete -c ringctl -n "__fish_seen_subcommand_from validate" -F -l help
complete -c ringctl -n "__fish_seen_subcommand_from validate" -l format -xa 'text dot'
complete -c ringctl -n "__fish_seen_subcommand_from launch" -l kernel -xa '(__ringctl_kernels)'
complete -c ringctl -n "__fish_seen_subcommand_from launch" -l param -l queue-size -l max-message -l replicas -l file -l help
complete -c ringctl -n "__fish_seen_subcommand_from launch" -l backpressure -xa 'block reject drop_oldest drop_newest'
complete -c ringctl -n "__fish_seen_subcommand_from launch" -l backend -xa 'auto cpu cuda'
complete -c ringctl -n "__fish_seen_subcommand_from activate deactivate reactivate state recv stats terminate send link unlink" -a '(__ringctl_ids)'
complete -c ringctl -n "__fish_seen_subcommand_from terminate" -l all -l timeout -l help
complete -c ringctl -n "__fish_seen_subcommand_from send" -F -l timeout -l on-error -l max-line -l end -l help
complete -c ringctl -n "__fish_seen_subcommand_from recv" -l count -l timeout -l follow -l envelope -l help
complete -c ringctl -n "__fish_seen_subcommand_from list kernels describe stats" -l json -l help
complete -c ringctl -n "__fish_seen_subcommand_from list kernels describe servers" -l format -xa 'table json'
complete -c ringctl -n "__fish_seen_subcommand_from servers" -l json -l help
complete -c ringctl -n "__fish_seen_subcommand_from run" -a '(__ringctl_kernels)'
complete -c ringctl -n "__fish_seen_subcommand_from stats" -l watch
complete -c ringctl -n "__fish_seen_subcommand_from stats" -l format -xa 'table json prometheus'
complete -c ringctl -n "__fish_seen_subcommand_from describe" -a '(__ringctl_kernels)'
complete -c ringctl -n "__fish_seen_subcommand_from server" -l foreground -l help
complete -c ringctl -n "__fish_seen_subcommand_from server" -l metrics -r -d '[host:]port for /metrics'
complete -c ringctl -n "__fish_seen_subcommand_from server" -l log-level -xa 'error warn info debug'
complete -c ringctl -n "__fish_seen_subcommand_from help" -a "$commands"
