# The peer's reading of bounce messages, for tests/tests/sisimai_peer.rs:
# one line per recipient sisimai finds in each file given, tab-separated:
# file name, recipient, enhanced status, SMTP reply code, sisimai's reason,
# hard bounce (1, or 0 when soft or unknown). Needs libsisimai-perl.
use strict;
use warnings;
use Sisimai;

for my $path (@ARGV) {
    my $name = $path;
    $name =~ s{.*/}{};
    my $read = Sisimai->make($path, 'delivered' => 1) || [];
    for my $d (@$read) {
        my $hard = (defined $d->softbounce && $d->softbounce == 0) ? 1 : 0;
        printf "%s\t%s\t%s\t%s\t%s\t%s\n", $name, lc($d->recipient->address // ''),
            $d->deliverystatus // '', $d->replycode // '', $d->reason // '', $hard;
    }
}
