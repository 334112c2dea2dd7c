# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_share_global_optspecs
    string join \n h/help V/version
end

function __fish_share_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_share_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_share_using_subcommand
    set -l cmd (__fish_share_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c share -n "__fish_share_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c share -n "__fish_share_needs_command" -s V -l version -d 'Print version'
complete -c share -n "__fish_share_needs_command" -f -a "send" -d 'Encrypt files locally, upload the ciphertext, print the link and the passphrase'
complete -c share -n "__fish_share_needs_command" -f -a "receive" -d 'Download a share, decrypt it and write the original files'
complete -c share -n "__fish_share_needs_command" -f -a "revoke" -d 'Revoke a relay share: its link stops working at once, downloads in progress included'
complete -c share -n "__fish_share_needs_command" -f -a "status" -d 'Show a relay share: its state, downloads left, expiry and what happened to it'
complete -c share -n "__fish_share_needs_command" -f -a "list" -d 'List the relay shares sent from this account on this machine (from the receipts)'
complete -c share -n "__fish_share_needs_command" -f -a "doctor" -d 'Check the host, the relay, TLS, proxies, the clock and local state before sharing'
complete -c share -n "__fish_share_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c share -n "__fish_share_using_subcommand send" -l name -d 'With `-`: the file name the receiver gets [default: stdin]' -r
complete -c share -n "__fish_share_using_subcommand send" -l passphrase-out -d 'Write the passphrase to FILE (mode 0600, never overwritten); stdout then carries the link alone' -r -F
complete -c share -n "__fish_share_using_subcommand send" -l passphrase-file -d 'Encrypt with your own passphrase, read from the first line of FILE (`-`: standard input), instead of a generated one' -r -F
complete -c share -n "__fish_share_using_subcommand send" -s r -l recipient -d 'Encrypt to this age (age1…) or SSH (ssh-ed25519, ssh-rsa) public key instead of a passphrase; repeatable' -r
complete -c share -n "__fish_share_using_subcommand send" -s R -l recipients-file -d 'Encrypt to every public key in FILE (one per line, # comments); repeatable' -r -F
complete -c share -n "__fish_share_using_subcommand send" -l part-size -d 'Split ciphertext larger than BYTES into parts of at most BYTES, linked by an index (suffixes k, M, G: powers of 1000)' -r
complete -c share -n "__fish_share_using_subcommand send" -l server -d 'The tfLink-compatible API base URL. Repeat it (or list several in SHARE_SERVER, separated by spaces) for hosts to fall back on, in order: a share that cannot be uploaded to one goes whole to the next' -r
complete -c share -n "__fish_share_using_subcommand send" -l relay -d 'Store the share on this share relay instead of tfLink: a link limited in downloads, time and addresses, that you can revoke. The API key comes from SHARE_RELAY_KEY or --relay-key-file. Repeat it (or list several in SHARE_RELAY, separated by spaces) for relays to fall back on, in order' -r
complete -c share -n "__fish_share_using_subcommand send" -l relay-key-file -d 'Read the relay\'s API key from the first line of FILE' -r -F
complete -c share -n "__fish_share_using_subcommand send" -l expires -d 'The link expires after DUR (like 90s, 30m, 24h, 7d) [default: the relay\'s]' -r
complete -c share -n "__fish_share_using_subcommand send" -l downloads -d 'The link works for N downloads [default: 1]' -r
complete -c share -n "__fish_share_using_subcommand send" -l allow-ip -d 'Only clients whose address is in CIDR may use the link; repeatable' -r
complete -c share -n "__fish_share_using_subcommand send" -l connect-timeout -d 'Give up connecting to a host after SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand send" -l idle-timeout -d 'Give up when no data arrives for SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand send" -l timeout -d 'Give up when the whole transfer, retries included, takes longer than SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand send" -l retries -d 'Retry a failed upload or an interrupted download up to N times' -r
complete -c share -n "__fish_share_using_subcommand send" -l jobs -d 'Transfer up to N parts of a multi-part share at once' -r
complete -c share -n "__fish_share_using_subcommand send" -l ca-file -d 'Also trust the CA certificates in this PEM file (for a host with a private CA)' -r -F
complete -c share -n "__fish_share_using_subcommand send" -l json -d 'Print one JSON object on stdout instead of the two labelled lines'
complete -c share -n "__fish_share_using_subcommand send" -l qr -d 'Also show the passphrase as a QR code on the terminal (stderr)'
complete -c share -n "__fish_share_using_subcommand send" -l no-pad -d 'Do not pad the payload: the host then learns its size to within a few hundred bytes instead of a size bucket (padding adds at most 12 %)'
complete -c share -n "__fish_share_using_subcommand send" -l no-receipt -d 'Keep no local receipt; `share revoke` and `share status` then need the manage token that --json prints'
complete -c share -n "__fish_share_using_subcommand send" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c share -n "__fish_share_using_subcommand send" -s h -l help -d 'Print help'
complete -c share -n "__fish_share_using_subcommand send" -s V -l version -d 'Print version'
complete -c share -n "__fish_share_using_subcommand receive" -s o -l output -d 'Where to write: a file name for a single file, a directory otherwise (a PATH ending in `/` is always a directory, created if missing); `-` for stdout' -r -F
complete -c share -n "__fish_share_using_subcommand receive" -l passphrase-file -d 'Read the passphrase from the first line of FILE (`-`: standard input; on a terminal, the hidden prompt)' -r -F
complete -c share -n "__fish_share_using_subcommand receive" -s i -l identity -d 'Decrypt with the age identities or unencrypted SSH private key in FILE, for shares sent to public keys; repeatable' -r -F
complete -c share -n "__fish_share_using_subcommand receive" -l max-work-factor -d 'Refuse passphrase-encrypted files whose scrypt work factor (log2 N) is above this' -r
complete -c share -n "__fish_share_using_subcommand receive" -l connect-timeout -d 'Give up connecting to a host after SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand receive" -l idle-timeout -d 'Give up when no data arrives for SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand receive" -l timeout -d 'Give up when the whole transfer, retries included, takes longer than SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand receive" -l retries -d 'Retry a failed upload or an interrupted download up to N times' -r
complete -c share -n "__fish_share_using_subcommand receive" -l jobs -d 'Transfer up to N parts of a multi-part share at once' -r
complete -c share -n "__fish_share_using_subcommand receive" -l ca-file -d 'Also trust the CA certificates in this PEM file (for a host with a private CA)' -r -F
complete -c share -n "__fish_share_using_subcommand receive" -l force -d 'Overwrite existing files. Without it, an existing file is never touched'
complete -c share -n "__fish_share_using_subcommand receive" -l json -d 'Print one JSON object on stdout describing what was written'
complete -c share -n "__fish_share_using_subcommand receive" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c share -n "__fish_share_using_subcommand receive" -s h -l help -d 'Print help'
complete -c share -n "__fish_share_using_subcommand receive" -s V -l version -d 'Print version'
complete -c share -n "__fish_share_using_subcommand revoke" -l manage-token-file -d 'Read the share\'s manage token from the first line of FILE instead of a receipt' -r -F
complete -c share -n "__fish_share_using_subcommand revoke" -l relay -d 'The relay the ID belongs to (with a LINK it is the link\'s own; of several in SHARE_RELAY, the first)' -r
complete -c share -n "__fish_share_using_subcommand revoke" -l connect-timeout -d 'Give up connecting to a host after SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand revoke" -l idle-timeout -d 'Give up when no data arrives for SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand revoke" -l timeout -d 'Give up when the whole transfer, retries included, takes longer than SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand revoke" -l retries -d 'Retry a failed upload or an interrupted download up to N times' -r
complete -c share -n "__fish_share_using_subcommand revoke" -l jobs -d 'Transfer up to N parts of a multi-part share at once' -r
complete -c share -n "__fish_share_using_subcommand revoke" -l ca-file -d 'Also trust the CA certificates in this PEM file (for a host with a private CA)' -r -F
complete -c share -n "__fish_share_using_subcommand revoke" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c share -n "__fish_share_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c share -n "__fish_share_using_subcommand revoke" -s V -l version -d 'Print version'
complete -c share -n "__fish_share_using_subcommand status" -l manage-token-file -d 'Read the share\'s manage token from the first line of FILE instead of a receipt' -r -F
complete -c share -n "__fish_share_using_subcommand status" -l relay -d 'The relay the ID belongs to (with a LINK it is the link\'s own; of several in SHARE_RELAY, the first)' -r
complete -c share -n "__fish_share_using_subcommand status" -l connect-timeout -d 'Give up connecting to a host after SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand status" -l idle-timeout -d 'Give up when no data arrives for SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand status" -l timeout -d 'Give up when the whole transfer, retries included, takes longer than SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand status" -l retries -d 'Retry a failed upload or an interrupted download up to N times' -r
complete -c share -n "__fish_share_using_subcommand status" -l jobs -d 'Transfer up to N parts of a multi-part share at once' -r
complete -c share -n "__fish_share_using_subcommand status" -l ca-file -d 'Also trust the CA certificates in this PEM file (for a host with a private CA)' -r -F
complete -c share -n "__fish_share_using_subcommand status" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c share -n "__fish_share_using_subcommand status" -l json -d 'Print the relay\'s share object as JSON (with "link" when known)'
complete -c share -n "__fish_share_using_subcommand status" -s h -l help -d 'Print help'
complete -c share -n "__fish_share_using_subcommand status" -s V -l version -d 'Print version'
complete -c share -n "__fish_share_using_subcommand list" -l json -d 'Print a JSON array instead of one line per share'
complete -c share -n "__fish_share_using_subcommand list" -s h -l help -d 'Print help'
complete -c share -n "__fish_share_using_subcommand list" -s V -l version -d 'Print version'
complete -c share -n "__fish_share_using_subcommand doctor" -l server -d 'The tfLink-compatible API base URL. Repeat it (or list several in SHARE_SERVER, separated by spaces) for hosts to fall back on, in order: a share that cannot be uploaded to one goes whole to the next' -r
complete -c share -n "__fish_share_using_subcommand doctor" -l relay -d 'Check this share relay (and its API key) instead of the tfLink host; repeat it (or list several in SHARE_RELAY) to check each' -r
complete -c share -n "__fish_share_using_subcommand doctor" -l relay-key-file -d 'Read the relay\'s API key from the first line of FILE' -r -F
complete -c share -n "__fish_share_using_subcommand doctor" -l connect-timeout -d 'Give up connecting to a host after SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand doctor" -l idle-timeout -d 'Give up when no data arrives for SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand doctor" -l timeout -d 'Give up when the whole transfer, retries included, takes longer than SECS seconds' -r
complete -c share -n "__fish_share_using_subcommand doctor" -l retries -d 'Retry a failed upload or an interrupted download up to N times' -r
complete -c share -n "__fish_share_using_subcommand doctor" -l jobs -d 'Transfer up to N parts of a multi-part share at once' -r
complete -c share -n "__fish_share_using_subcommand doctor" -l ca-file -d 'Also trust the CA certificates in this PEM file (for a host with a private CA)' -r -F
complete -c share -n "__fish_share_using_subcommand doctor" -l json -d 'Print one JSON object on stdout instead of one line per check'
complete -c share -n "__fish_share_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c share -n "__fish_share_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c share -n "__fish_share_using_subcommand help; and not __fish_seen_subcommand_from send receive revoke status list doctor help" -f -a "send" -d 'Encrypt files locally, upload the ciphertext, print the link and the passphrase'
complete -c share -n "__fish_share_using_subcommand help; and not __fish_seen_subcommand_from send receive revoke status list doctor help" -f -a "receive" -d 'Download a share, decrypt it and write the original files'
complete -c share -n "__fish_share_using_subcommand help; and not __fish_seen_subcommand_from send receive revoke status list doctor help" -f -a "revoke" -d 'Revoke a relay share: its link stops working at once, downloads in progress included'
complete -c share -n "__fish_share_using_subcommand help; and not __fish_seen_subcommand_from send receive revoke status list doctor help" -f -a "status" -d 'Show a relay share: its state, downloads left, expiry and what happened to it'
complete -c share -n "__fish_share_using_subcommand help; and not __fish_seen_subcommand_from send receive revoke status list doctor help" -f -a "list" -d 'List the relay shares sent from this account on this machine (from the receipts)'
complete -c share -n "__fish_share_using_subcommand help; and not __fish_seen_subcommand_from send receive revoke status list doctor help" -f -a "doctor" -d 'Check the host, the relay, TLS, proxies, the clock and local state before sharing'
complete -c share -n "__fish_share_using_subcommand help; and not __fish_seen_subcommand_from send receive revoke status list doctor help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
