# frozen_string_literal: true

# SSH key pairs made on the host by the Vagrantfile itself (Ruby's OpenSSL, which every Vagrant
# ships), so that neither VM has to be up before the other can be provisioned and no host needs
# ssh-keygen: the controller's key (root on the workstation) and the store key (the workstation
# writing to the restic store on the controller over SFTP). They live under .vagrant/ (never
# committed) and are reused by every later `vagrant up` and `vagrant provision`.
require "base64"
require "fileutils"
require "openssl"

module SovmigrateKeys
  module_function

  # An SSH "string": a 32-bit big-endian length, then the bytes.
  def ssh_string(bytes)
    [bytes.bytesize].pack("N") + bytes
  end

  # An SSH "mpint": big-endian two's complement, with a leading zero byte when the high bit is set.
  def ssh_mpint(bn)
    bytes = bn.to_s(2)
    bytes = "\x00".b + bytes if bytes.getbyte(0) & 0x80 != 0
    ssh_string(bytes)
  end

  # The one-line OpenSSH public key of an RSA key.
  def openssh_public(rsa, comment)
    blob = ssh_string("ssh-rsa") + ssh_mpint(rsa.e) + ssh_mpint(rsa.n)
    "ssh-rsa #{Base64.strict_encode64(blob)} #{comment}"
  end

  # Returns [private_key_path, public_key_line]; creates the pair on first use only.
  def ensure_pair(dir, name, comment = "sovmigrate-vagrant-#{name}")
    private_path = File.join(dir, name)
    public_path = "#{private_path}.pub"
    unless File.exist?(private_path) && File.exist?(public_path)
      FileUtils.mkdir_p(dir)
      rsa = OpenSSL::PKey::RSA.new(3072)
      # Written under a temporary name first, so an interrupted run never leaves half a pair.
      File.write("#{private_path}.tmp", rsa.to_pem, perm: 0o600)
      File.write("#{public_path}.tmp", "#{openssh_public(rsa, comment)}\n")
      File.rename("#{private_path}.tmp", private_path)
      File.rename("#{public_path}.tmp", public_path)
    end
    [private_path, File.read(public_path).strip]
  end
end
