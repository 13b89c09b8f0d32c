/**
 * Completion scripts for bash, zsh and fish. Each hands the words typed so far to
 * `treehouse completions propose --` and offers what it prints (one candidate per line).
 */

/** Shells with a completion script. */
export type Shell = "bash" | "zsh" | "fish";

const BASH = `# treehouse completion for bash: eval "$(treehouse completions bash)" in ~/.bashrc
_treehouse_complete() {
  local line words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  COMPREPLY=()
  # read, not mapfile: macOS ships bash 3.2
  while IFS= read -r line; do
    COMPREPLY+=("$line")
  done < <(treehouse completions propose -- "\${words[@]}" 2>/dev/null)
}
complete -o default -F _treehouse_complete treehouse
`;

const ZSH = `#compdef treehouse
# treehouse completion for zsh: source <(treehouse completions zsh)  (after compinit)
_treehouse() {
  local -a candidates
  candidates=("\${(@f)$(treehouse completions propose -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then
    compadd -- "\${candidates[@]}"
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _treehouse treehouse
fi
`;

const FISH =
  `# treehouse completion for fish: treehouse completions fish > ~/.config/fish/completions/treehouse.fish
function __treehouse_complete
    set -l words (commandline -opc)
    set -e words[1]
    treehouse completions propose -- $words (commandline -ct) 2>/dev/null
end
complete -c treehouse -f -a '(__treehouse_complete)'
`;

/** The completion script for `shell`. */
export function completionScript(shell: Shell): string {
  return shell === "bash" ? BASH : shell === "zsh" ? ZSH : FISH;
}
