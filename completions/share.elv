
use builtin;
use str;

set edit:completion:arg-completer[share] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'share'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'share'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Encrypt files locally, upload the ciphertext, print the link and the passphrase'
            cand receive 'Download a share, decrypt it and write the original files'
            cand revoke 'Revoke a relay share: its link stops working at once, downloads in progress included'
            cand status 'Show a relay share: its state, downloads left, expiry and what happened to it'
            cand list 'List the relay shares sent from this account on this machine (from the receipts)'
            cand doctor 'Check the host, the relay, TLS, proxies, the clock and local state before sharing'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'share;send'= {
            cand --name 'With `-`: the file name the receiver gets [default: stdin]'
            cand --passphrase-out 'Write the passphrase to FILE (mode 0600, never overwritten); stdout then carries the link alone'
            cand --passphrase-file 'Encrypt with your own passphrase, read from the first line of FILE (`-`: standard input), instead of a generated one'
            cand -r 'Encrypt to this age (age1…) or SSH (ssh-ed25519, ssh-rsa) public key instead of a passphrase; repeatable'
            cand --recipient 'Encrypt to this age (age1…) or SSH (ssh-ed25519, ssh-rsa) public key instead of a passphrase; repeatable'
            cand -R 'Encrypt to every public key in FILE (one per line, # comments); repeatable'
            cand --recipients-file 'Encrypt to every public key in FILE (one per line, # comments); repeatable'
            cand --part-size 'Split ciphertext larger than BYTES into parts of at most BYTES, linked by an index (suffixes k, M, G: powers of 1000)'
            cand --server 'The tfLink-compatible API base URL. Repeat it (or list several in SHARE_SERVER, separated by spaces) for hosts to fall back on, in order: a share that cannot be uploaded to one goes whole to the next'
            cand --relay 'Store the share on this share relay instead of tfLink: a link limited in downloads, time and addresses, that you can revoke. The API key comes from SHARE_RELAY_KEY or --relay-key-file. Repeat it (or list several in SHARE_RELAY, separated by spaces) for relays to fall back on, in order'
            cand --relay-key-file 'Read the relay''s API key from the first line of FILE'
            cand --expires 'The link expires after DUR (like 90s, 30m, 24h, 7d) [default: the relay''s]'
            cand --downloads 'The link works for N downloads [default: 1]'
            cand --allow-ip 'Only clients whose address is in CIDR may use the link; repeatable'
            cand --connect-timeout 'Give up connecting to a host after SECS seconds'
            cand --idle-timeout 'Give up when no data arrives for SECS seconds'
            cand --timeout 'Give up when the whole transfer, retries included, takes longer than SECS seconds'
            cand --retries 'Retry a failed upload or an interrupted download up to N times'
            cand --jobs 'Transfer up to N parts of a multi-part share at once'
            cand --ca-file 'Also trust the CA certificates in this PEM file (for a host with a private CA)'
            cand --json 'Print one JSON object on stdout instead of the two labelled lines'
            cand --qr 'Also show the passphrase as a QR code on the terminal (stderr)'
            cand --no-pad 'Do not pad the payload: the host then learns its size to within a few hundred bytes instead of a size bucket (padding adds at most 12 %)'
            cand --no-receipt 'Keep no local receipt; `share revoke` and `share status` then need the manage token that --json prints'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'share;receive'= {
            cand -o 'Where to write: a file name for a single file, a directory otherwise (a PATH ending in `/` is always a directory, created if missing); `-` for stdout'
            cand --output 'Where to write: a file name for a single file, a directory otherwise (a PATH ending in `/` is always a directory, created if missing); `-` for stdout'
            cand --passphrase-file 'Read the passphrase from the first line of FILE (`-`: standard input; on a terminal, the hidden prompt)'
            cand -i 'Decrypt with the age identities or unencrypted SSH private key in FILE, for shares sent to public keys; repeatable'
            cand --identity 'Decrypt with the age identities or unencrypted SSH private key in FILE, for shares sent to public keys; repeatable'
            cand --max-work-factor 'Refuse passphrase-encrypted files whose scrypt work factor (log2 N) is above this'
            cand --connect-timeout 'Give up connecting to a host after SECS seconds'
            cand --idle-timeout 'Give up when no data arrives for SECS seconds'
            cand --timeout 'Give up when the whole transfer, retries included, takes longer than SECS seconds'
            cand --retries 'Retry a failed upload or an interrupted download up to N times'
            cand --jobs 'Transfer up to N parts of a multi-part share at once'
            cand --ca-file 'Also trust the CA certificates in this PEM file (for a host with a private CA)'
            cand --force 'Overwrite existing files. Without it, an existing file is never touched'
            cand --json 'Print one JSON object on stdout describing what was written'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'share;revoke'= {
            cand --manage-token-file 'Read the share''s manage token from the first line of FILE instead of a receipt'
            cand --relay 'The relay the ID belongs to (with a LINK it is the link''s own; of several in SHARE_RELAY, the first)'
            cand --connect-timeout 'Give up connecting to a host after SECS seconds'
            cand --idle-timeout 'Give up when no data arrives for SECS seconds'
            cand --timeout 'Give up when the whole transfer, retries included, takes longer than SECS seconds'
            cand --retries 'Retry a failed upload or an interrupted download up to N times'
            cand --jobs 'Transfer up to N parts of a multi-part share at once'
            cand --ca-file 'Also trust the CA certificates in this PEM file (for a host with a private CA)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'share;status'= {
            cand --manage-token-file 'Read the share''s manage token from the first line of FILE instead of a receipt'
            cand --relay 'The relay the ID belongs to (with a LINK it is the link''s own; of several in SHARE_RELAY, the first)'
            cand --connect-timeout 'Give up connecting to a host after SECS seconds'
            cand --idle-timeout 'Give up when no data arrives for SECS seconds'
            cand --timeout 'Give up when the whole transfer, retries included, takes longer than SECS seconds'
            cand --retries 'Retry a failed upload or an interrupted download up to N times'
            cand --jobs 'Transfer up to N parts of a multi-part share at once'
            cand --ca-file 'Also trust the CA certificates in this PEM file (for a host with a private CA)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand --json 'Print the relay''s share object as JSON (with "link" when known)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'share;list'= {
            cand --json 'Print a JSON array instead of one line per share'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'share;doctor'= {
            cand --server 'The tfLink-compatible API base URL. Repeat it (or list several in SHARE_SERVER, separated by spaces) for hosts to fall back on, in order: a share that cannot be uploaded to one goes whole to the next'
            cand --relay 'Check this share relay (and its API key) instead of the tfLink host; repeat it (or list several in SHARE_RELAY) to check each'
            cand --relay-key-file 'Read the relay''s API key from the first line of FILE'
            cand --connect-timeout 'Give up connecting to a host after SECS seconds'
            cand --idle-timeout 'Give up when no data arrives for SECS seconds'
            cand --timeout 'Give up when the whole transfer, retries included, takes longer than SECS seconds'
            cand --retries 'Retry a failed upload or an interrupted download up to N times'
            cand --jobs 'Transfer up to N parts of a multi-part share at once'
            cand --ca-file 'Also trust the CA certificates in this PEM file (for a host with a private CA)'
            cand --json 'Print one JSON object on stdout instead of one line per check'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'share;help'= {
            cand send 'Encrypt files locally, upload the ciphertext, print the link and the passphrase'
            cand receive 'Download a share, decrypt it and write the original files'
            cand revoke 'Revoke a relay share: its link stops working at once, downloads in progress included'
            cand status 'Show a relay share: its state, downloads left, expiry and what happened to it'
            cand list 'List the relay shares sent from this account on this machine (from the receipts)'
            cand doctor 'Check the host, the relay, TLS, proxies, the clock and local state before sharing'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'share;help;send'= {
        }
        &'share;help;receive'= {
        }
        &'share;help;revoke'= {
        }
        &'share;help;status'= {
        }
        &'share;help;list'= {
        }
        &'share;help;doctor'= {
        }
        &'share;help;help'= {
        }
    ]
    $completions[$command]
}
