# bash completion for cmdbuilder. The candidates come from the binary
# (`cmdbuilder __complete WORD...`), so they follow its version and the
# workspace: pages, keys after --set, a key's values after --set KEY=,
# use cases, option sources and run ids.

_cmdbuilder()
{
    local -a words candidates
    local i word current real_current prefix

    # bash splits "--set encoder=res" at "=" (COMP_WORDBREAKS); glue the
    # pieces back so the binary sees the words as typed.
    words=()
    for ((i = 1; i <= COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if ((${#words[@]} > 0)) && [[ $word == "=" || ${COMP_WORDS[i-1]} == "=" ]]; then
            words[-1]+=$word
        else
            words+=("$word")
        fi
    done
    ((COMP_CWORD < 1)) && return 0
    ((${#words[@]} == 0)) && words=("")
    current=${words[-1]}
    real_current=${COMP_WORDS[COMP_CWORD]}
    [[ $real_current == "=" ]] && real_current=""

    mapfile -t candidates < <("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)
    # Candidates are whole words ("encoder=resnet34"); the word bash
    # replaces may be only the part after "=".
    prefix=${current%"$real_current"}
    COMPREPLY=()
    for word in "${candidates[@]}"; do
        COMPREPLY+=("${word#"$prefix"}")
    done
    # "encoder=" goes on with its value: no space after it.
    if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -o default -F _cmdbuilder cmdbuilder
