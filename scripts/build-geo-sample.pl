#!/usr/bin/perl
# Builds an MMDB geo database from a tab-separated source table (default:
# geo-data/sample-networks.tsv -> geo-data/sample.mmdb). See geo-data/README.md.
#
#   perl scripts/build-geo-sample.pl [--layout city|flat] [--record-size 24|28|32]
#        [--ip-version 6|4] [IN.tsv [OUT.mmdb]]
#
# --layout city (default) writes GeoIP2/GeoLite2-City-shaped records
#   { city, continent, country, location }; --layout flat writes the flat
#   ip-location-db shape { latitude, longitude, country_code, city }.
# --record-size and --ip-version (defaults 24 and 6, what geo-data/sample.mmdb
#   uses) shape the search tree; tests use them to cover every tree layout.
# The output is deterministic: the build epoch comes from the table's
# "# build_epoch: N" header line, and the writer sorts map keys.
# Needs Debian's libmaxmind-db-writer-perl (MaxMind::DB::Writer::Tree).
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my %opt = (layout => 'city', 'record-size' => 24, 'ip-version' => 6);
while (@ARGV && $ARGV[0] =~ /^--(layout|record-size|ip-version)(?:=(\w+))?$/) {
    shift @ARGV;
    $opt{$1} = defined $2 ? $2 : shift @ARGV;
}
my $layout = $opt{layout};
die "unknown --layout '$layout' (city or flat)\n" unless $layout =~ /^(?:city|flat)$/;
die "unknown --record-size '$opt{'record-size'}' (24, 28 or 32)\n" unless $opt{'record-size'} =~ /^(?:24|28|32)$/;
die "unknown --ip-version '$opt{'ip-version'}' (6 or 4)\n" unless $opt{'ip-version'} =~ /^[46]$/;
my $in  = shift @ARGV // 'geo-data/sample-networks.tsv';
my $out = shift @ARGV // 'geo-data/sample.mmdb';

my %types = (
    city           => 'map',
    continent      => 'map',
    country        => 'map',
    location       => 'map',
    names          => 'map',
    en             => 'utf8_string',
    code           => 'utf8_string',
    iso_code       => 'utf8_string',
    latitude       => 'double',
    longitude      => 'double',
    accuracy_radius => 'uint16',
    country_code   => 'utf8_string',
);
# In the flat layout `city` is the name itself, not a map of names.
$types{city} = 'utf8_string' if $layout eq 'flat';

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 0 + $opt{'ip-version'},
    record_size              => 0 + $opt{'record-size'},
    database_type            => $layout eq 'city' ? 'anypick-Sample-City' : 'anypick-Sample-Flat',
    languages                => ['en'],
    description              => { en => 'anypick sample geo data (documentation, private and loopback ranges only)' },
    remove_reserved_networks => 0,
    alias_ipv6_to_ipv4       => $opt{'ip-version'} == 6 ? 1 : 0,
    map_key_type_callback    => sub {
        my $k = shift;
        die "no MMDB type for key '$k'\n" unless exists $types{$k};
        return $types{$k};
    },
);

my $epoch;
my $count = 0;
open my $fh, '<:encoding(UTF-8)', $in or die "cannot read $in: $!\n";
while (my $line = <$fh>) {
    chomp $line;
    if ($line =~ /^#\s*build_epoch:\s*(\d+)\s*$/) { $epoch = $1; next; }
    next if $line =~ /^\s*(?:#|$)/;
    my @f = split /\t/, $line;
    die "$in:$.: expected 6 tab-separated columns, got " . scalar(@f) . "\n" unless @f == 6;
    my ($net, $lat, $lon, $country, $continent, $label) = @f;
    die "$in:$.: bad network '$net'\n" unless $net =~ m{^[0-9a-fA-F:.]+/\d+$};
    die "$in:$.: bad latitude '$lat'\n" unless $lat =~ /^-?\d+(?:\.\d+)?$/ && abs($lat) <= 90;
    die "$in:$.: bad longitude '$lon'\n" unless $lon =~ /^-?\d+(?:\.\d+)?$/ && abs($lon) <= 180;
    die "$in:$.: bad country '$country'\n" unless $country =~ /^[A-Z]{2}$/;
    die "$in:$.: bad continent '$continent'\n" unless $continent =~ /^(?:AF|AN|AS|EU|NA|OC|SA)$/;
    my $record = $layout eq 'city'
        ? {
            city      => { names => { en => $label } },
            continent => { code => $continent, names => { en => $continent } },
            country   => { iso_code => $country, names => { en => $country } },
            location  => { latitude => 0 + $lat, longitude => 0 + $lon, accuracy_radius => 100 },
          }
        : { latitude => 0 + $lat, longitude => 0 + $lon, country_code => $country, city => $label };
    # IPv4 networks land at ::a.b.c.d/(96+len) in this IPv6 tree, where readers look them up.
    $tree->insert_network($net, $record);
    $count++;
}
close $fh;
die "$in: no '# build_epoch: N' header line (needed for a deterministic build)\n" unless defined $epoch;
$tree->_set_build_epoch($epoch);

open my $outfh, '>:raw', "$out.tmp" or die "cannot write $out.tmp: $!\n";
$tree->write_tree($outfh);
close $outfh or die "cannot write $out.tmp: $!\n";
rename "$out.tmp", $out or die "cannot rename $out.tmp to $out: $!\n";
print STDERR "wrote $out: $count networks, $layout layout\n";
