# Homebrew formula for a tap: brew install @OWNER@/tap/treehouse
# (the plain name `treehouse` belongs to other projects). Do not edit the filled copy by hand: it is
# written by packaging/homebrew/fill-formula.ts from a release's SHA256SUMS.
class Treehouse < Formula
  desc "Per-branch loopback IPs, hostnames, ports and database names for dev servers"
  homepage "https://github.com/@OWNER@/treehouse"
  version "@VERSION@"

  on_macos do
    on_arm do
      url "https://github.com/@OWNER@/treehouse/releases/download/v@VERSION@/treehouse-aarch64-apple-darwin"
      sha256 "@SHA256_AARCH64_APPLE_DARWIN@"
    end
    on_intel do
      url "https://github.com/@OWNER@/treehouse/releases/download/v@VERSION@/treehouse-x86_64-apple-darwin"
      sha256 "@SHA256_X86_64_APPLE_DARWIN@"
    end
  end

  on_linux do
    on_intel do
      url "https://github.com/@OWNER@/treehouse/releases/download/v@VERSION@/treehouse-x86_64-unknown-linux-gnu"
      sha256 "@SHA256_X86_64_UNKNOWN_LINUX_GNU@"
    end
  end

  def install
    bin.install Dir["treehouse-*"].first => "treehouse"
    generate_completions_from_executable(bin/"treehouse", "completions")
  end

  def caveats
    <<~EOS
      On macOS, give every branch its own loopback IP at boot (asks before using sudo):
        treehouse setup
      Then check the machine with:
        treehouse doctor
    EOS
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/treehouse --version")
  end
end
