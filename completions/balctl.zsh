#compdef balctl

_balctl_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _BALCTL_COMPLETE=complete_zsh balctl)
}

compdef _balctl_completion balctl
