# bash completion for xcelsior (the Xcelsior command-line client)
# Installed as share/bash-completion/completions/xcelsior; or: source xcelsior-completion.bash

_xcelsior()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion || return
    else
        COMPREPLY=()
        cur="${COMP_WORDS[COMP_CWORD]}"
        prev="${COMP_WORDS[COMP_CWORD-1]}"
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local commands="run jobs job cancel requeue process logs host-add host-rm hosts check
        bill bill-all revenue billing spot-prices list-rig unlist-rig marketplace failover
        autoscale canada-only events login logout whoami keys version help
        provider earnings payouts wallet topup verify reputation jurisdiction sla"
    local globals="--url --api-url --token --json --no-color --help --version"

    # Options that take a value: complete nothing special (or a fixed list) after them.
    case "$prev" in
        --url|--api-url)
            COMPREPLY=($(compgen -W "http://127.0.0.1:8000 https://" -- "$cur"))
            return ;;
        --token|--id|--ip|--gpu|--vram|--free-vram|--rate|--description|-d|--host|--job|\
        --priority|--gpus|--image|--count|-n|--limit|--timeout|--province|--email|-e|--name|\
        --customer|-c|--provider|-p|--reference|-r|--company|--gst|--business-number|\
        --notes|--reason|--set|--month|-m|--spend)
            return ;;
        --tier)
            if [[ " ${COMP_WORDS[*]} " == *" sla "* ]]; then
                COMPREPLY=($(compgen -W "community secure sovereign" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "free standard premium urgent" -- "$cur"))
            fi
            return ;;
        --trust-tier)
            COMPREPLY=($(compgen -W "community residency sovereignty regulated" -- "$cur"))
            return ;;
        --status)
            COMPREPLY=($(compgen -W "queued assigned leased running completed failed preempted cancelled" -- "$cur"))
            return ;;
        --type|-t)
            COMPREPLY=($(compgen -W "host user" -- "$cur"))
            return ;;
        --country)
            COMPREPLY=($(compgen -W "CA US" -- "$cur"))
            return ;;
    esac

    # Find the command word (skipping global options and their values).
    local i cmd=""
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            --url|--api-url|--token) ((i++)) ;;
            -*) ;;
            *) cmd="${words[i]}"; break ;;
        esac
    done

    if [[ -z "$cmd" ]]; then
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local opts=""
    case "$cmd" in
        run)         opts="--tier --priority --gpus --image --trust-tier --no-assign" ;;
        jobs)        opts="--status --host" ;;
        logs)        opts="--follow -f --limit --timeout" ;;
        requeue)     opts="--job" ;;
        host-add)    opts="--id --ip --gpu --vram --free-vram --rate --country --province --gpus" ;;
        hosts|marketplace) opts="--all" ;;
        list-rig)    opts="--host --rate --description --gpu --vram" ;;
        unlist-rig|failover) opts="--host" ;;
        canada-only) opts="--enable --disable" ;;
        events)      opts="--follow -f --count --timeout" ;;
        login)       opts="--email --password-stdin" ;;
        wallet|topup) opts="--customer" ;;
        earnings)    opts="--provider" ;;
        verify)      opts="--approve --notes --reject --reason --request" ;;
        reputation)  opts="--type --history --breakdown --limit"
                     [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -W "leaderboard" -- "$cur")); return; } ;;
        jurisdiction) opts="--set"
                     [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -W "trace" -- "$cur")); return; } ;;
        sla)         opts="--month --tier --spend"
                     [[ "$cur" != -* ]] && { COMPREPLY=($(compgen -W "targets enforce" -- "$cur")); return; } ;;
        payouts|provider)
            if [[ "$cur" != -* ]]; then
                local j nargs=0
                for ((j = i + 1; j < cword; j++)); do
                    [[ "${words[j]}" != -* ]] && ((nargs++))
                done
                if ((nargs == 0)); then
                    [[ "$cmd" == payouts ]] && COMPREPLY=($(compgen -W "list pay" -- "$cur"))
                    [[ "$cmd" == provider ]] && COMPREPLY=($(compgen -W "show register" -- "$cur"))
                fi
                return
            fi
            [[ "$cmd" == payouts ]] && opts="--provider --ids --reference"
            [[ "$cmd" == provider ]] && opts="--company --gst --business-number --province --email --provider" ;;
        keys)
            if [[ "$cur" != -* ]]; then
                local j nargs=0
                for ((j = i + 1; j < cword; j++)); do
                    [[ "${words[j]}" != -* ]] && ((nargs++))
                done
                if ((nargs == 0)); then
                    COMPREPLY=($(compgen -W "list create revoke" -- "$cur"))
                fi
                return
            fi
            opts="--name" ;;
        help)
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
            return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --help --json --url --api-url --token --no-color" -- "$cur"))
    fi
}

complete -F _xcelsior xcelsior
