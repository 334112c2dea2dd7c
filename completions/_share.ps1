
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'share' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'share'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'share' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Encrypt files locally, upload the ciphertext, print the link and the passphrase')
            [CompletionResult]::new('receive', 'receive', [CompletionResultType]::ParameterValue, 'Download a share, decrypt it and write the original files')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a relay share: its link stops working at once, downloads in progress included')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a relay share: its state, downloads left, expiry and what happened to it')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the relay shares sent from this account on this machine (from the receipts)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the host, the relay, TLS, proxies, the clock and local state before sharing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'share;send' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'With `-`: the file name the receiver gets [default: stdin]')
            [CompletionResult]::new('--passphrase-out', '--passphrase-out', [CompletionResultType]::ParameterName, 'Write the passphrase to FILE (mode 0600, never overwritten); stdout then carries the link alone')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Encrypt with your own passphrase, read from the first line of FILE (`-`: standard input), instead of a generated one')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Encrypt to this age (age1…) or SSH (ssh-ed25519, ssh-rsa) public key instead of a passphrase; repeatable')
            [CompletionResult]::new('--recipient', '--recipient', [CompletionResultType]::ParameterName, 'Encrypt to this age (age1…) or SSH (ssh-ed25519, ssh-rsa) public key instead of a passphrase; repeatable')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Encrypt to every public key in FILE (one per line, # comments); repeatable')
            [CompletionResult]::new('--recipients-file', '--recipients-file', [CompletionResultType]::ParameterName, 'Encrypt to every public key in FILE (one per line, # comments); repeatable')
            [CompletionResult]::new('--part-size', '--part-size', [CompletionResultType]::ParameterName, 'Split ciphertext larger than BYTES into parts of at most BYTES, linked by an index (suffixes k, M, G: powers of 1000)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The tfLink-compatible API base URL. Repeat it (or list several in SHARE_SERVER, separated by spaces) for hosts to fall back on, in order: a share that cannot be uploaded to one goes whole to the next')
            [CompletionResult]::new('--relay', '--relay', [CompletionResultType]::ParameterName, 'Store the share on this share relay instead of tfLink: a link limited in downloads, time and addresses, that you can revoke. The API key comes from SHARE_RELAY_KEY or --relay-key-file. Repeat it (or list several in SHARE_RELAY, separated by spaces) for relays to fall back on, in order')
            [CompletionResult]::new('--relay-key-file', '--relay-key-file', [CompletionResultType]::ParameterName, 'Read the relay''s API key from the first line of FILE')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'The link expires after DUR (like 90s, 30m, 24h, 7d) [default: the relay''s]')
            [CompletionResult]::new('--downloads', '--downloads', [CompletionResultType]::ParameterName, 'The link works for N downloads [default: 1]')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'Only clients whose address is in CIDR may use the link; repeatable')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting to a host after SECS seconds')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up when no data arrives for SECS seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up when the whole transfer, retries included, takes longer than SECS seconds')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a failed upload or an interrupted download up to N times')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Transfer up to N parts of a multi-part share at once')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a host with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout instead of the two labelled lines')
            [CompletionResult]::new('--qr', '--qr', [CompletionResultType]::ParameterName, 'Also show the passphrase as a QR code on the terminal (stderr)')
            [CompletionResult]::new('--no-pad', '--no-pad', [CompletionResultType]::ParameterName, 'Do not pad the payload: the host then learns its size to within a few hundred bytes instead of a size bucket (padding adds at most 12 %)')
            [CompletionResult]::new('--no-receipt', '--no-receipt', [CompletionResultType]::ParameterName, 'Keep no local receipt; `share revoke` and `share status` then need the manage token that --json prints')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'share;receive' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write: a file name for a single file, a directory otherwise (a PATH ending in `/` is always a directory, created if missing); `-` for stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write: a file name for a single file, a directory otherwise (a PATH ending in `/` is always a directory, created if missing); `-` for stdout')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the passphrase from the first line of FILE (`-`: standard input; on a terminal, the hidden prompt)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Decrypt with the age identities or unencrypted SSH private key in FILE, for shares sent to public keys; repeatable')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Decrypt with the age identities or unencrypted SSH private key in FILE, for shares sent to public keys; repeatable')
            [CompletionResult]::new('--max-work-factor', '--max-work-factor', [CompletionResultType]::ParameterName, 'Refuse passphrase-encrypted files whose scrypt work factor (log2 N) is above this')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting to a host after SECS seconds')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up when no data arrives for SECS seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up when the whole transfer, retries included, takes longer than SECS seconds')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a failed upload or an interrupted download up to N times')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Transfer up to N parts of a multi-part share at once')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a host with a private CA)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite existing files. Without it, an existing file is never touched')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout describing what was written')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'share;revoke' {
            [CompletionResult]::new('--manage-token-file', '--manage-token-file', [CompletionResultType]::ParameterName, 'Read the share''s manage token from the first line of FILE instead of a receipt')
            [CompletionResult]::new('--relay', '--relay', [CompletionResultType]::ParameterName, 'The relay the ID belongs to (with a LINK it is the link''s own; of several in SHARE_RELAY, the first)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting to a host after SECS seconds')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up when no data arrives for SECS seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up when the whole transfer, retries included, takes longer than SECS seconds')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a failed upload or an interrupted download up to N times')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Transfer up to N parts of a multi-part share at once')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a host with a private CA)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'share;status' {
            [CompletionResult]::new('--manage-token-file', '--manage-token-file', [CompletionResultType]::ParameterName, 'Read the share''s manage token from the first line of FILE instead of a receipt')
            [CompletionResult]::new('--relay', '--relay', [CompletionResultType]::ParameterName, 'The relay the ID belongs to (with a LINK it is the link''s own; of several in SHARE_RELAY, the first)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting to a host after SECS seconds')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up when no data arrives for SECS seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up when the whole transfer, retries included, takes longer than SECS seconds')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a failed upload or an interrupted download up to N times')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Transfer up to N parts of a multi-part share at once')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a host with a private CA)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the relay''s share object as JSON (with "link" when known)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'share;list' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array instead of one line per share')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'share;doctor' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The tfLink-compatible API base URL. Repeat it (or list several in SHARE_SERVER, separated by spaces) for hosts to fall back on, in order: a share that cannot be uploaded to one goes whole to the next')
            [CompletionResult]::new('--relay', '--relay', [CompletionResultType]::ParameterName, 'Check this share relay (and its API key) instead of the tfLink host; repeat it (or list several in SHARE_RELAY) to check each')
            [CompletionResult]::new('--relay-key-file', '--relay-key-file', [CompletionResultType]::ParameterName, 'Read the relay''s API key from the first line of FILE')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting to a host after SECS seconds')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up when no data arrives for SECS seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up when the whole transfer, retries included, takes longer than SECS seconds')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a failed upload or an interrupted download up to N times')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Transfer up to N parts of a multi-part share at once')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file (for a host with a private CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout instead of one line per check')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'share;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Encrypt files locally, upload the ciphertext, print the link and the passphrase')
            [CompletionResult]::new('receive', 'receive', [CompletionResultType]::ParameterValue, 'Download a share, decrypt it and write the original files')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a relay share: its link stops working at once, downloads in progress included')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a relay share: its state, downloads left, expiry and what happened to it')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the relay shares sent from this account on this machine (from the receipts)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the host, the relay, TLS, proxies, the clock and local state before sharing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'share;help;send' {
            break
        }
        'share;help;receive' {
            break
        }
        'share;help;revoke' {
            break
        }
        'share;help;status' {
            break
        }
        'share;help;list' {
            break
        }
        'share;help;doctor' {
            break
        }
        'share;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
