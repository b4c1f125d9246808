# fish completion for cmdbuilder: the candidates come from the binary
# (`cmdbuilder __complete WORD...`), as for bash and zsh.
function __cmdbuilder_complete
    set -l words (commandline -opc)
    cmdbuilder __complete $words[2..-1] (commandline -ct) 2>/dev/null
end

complete -c cmdbuilder -f -a '(__cmdbuilder_complete)'
