//! Certificates: a configured PEM pair in production, or a self-signed certificate made on
//! first start and kept in `<data_dir>/tls` (clients pin its SHA-256 fingerprint, which is
//! printed and also written to `<data_dir>/tls/fingerprint`).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use quinn::crypto::rustls::QuicServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::config::Config;
use entrepot_protocol::client::fingerprint;

pub struct ServerCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub fingerprint: String,
}

pub fn load_or_create(config: &Config) -> anyhow::Result<ServerCert> {
    if let (Some(cert), Some(key)) = (&config.cert, &config.key) {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("reading {}", cert.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("parsing {}", cert.display()))?;
        let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading {}", key.display()))?;
        let fingerprint = fingerprint(chain.first().context("empty certificate chain")?);
        return Ok(ServerCert { chain, key, fingerprint });
    }
    let dir = config.data_dir.join("tls");
    let (cert_path, key_path) = (dir.join("cert.der"), dir.join("key.der"));
    if !cert_path.exists() || !key_path.exists() {
        std::fs::create_dir_all(&dir)?;
        let made = rcgen::generate_simple_self_signed(vec!["entrepot".to_string(), "localhost".to_string()])?;
        std::fs::write(&cert_path, made.cert.der())?;
        write_private(&key_path, &made.signing_key.serialize_der())?;
    }
    let cert = CertificateDer::from(std::fs::read(&cert_path)?);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(std::fs::read(&key_path)?));
    let fingerprint = fingerprint(&cert);
    std::fs::write(dir.join("fingerprint"), format!("{fingerprint}\n"))?;
    Ok(ServerCert { chain: vec![cert], key, fingerprint })
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The quinn server configuration: TLS 1.3, ALPN `entrepot/1`, generous stream limits for
/// pipelining clients.
pub fn server_config(cert: &ServerCert, config: &Config) -> anyhow::Result<quinn::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(cert.chain.clone(), cert.key.clone_key())?;
    tls.alpn_protocols = vec![entrepot_protocol::ALPN.to_vec()];
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(tls)?));
    let mut transport = quinn::TransportConfig::default();
    transport.max_concurrent_bidi_streams(1024u32.into());
    transport.max_concurrent_uni_streams(16u32.into());
    transport.max_idle_timeout(Some(std::time::Duration::from_secs(60).try_into()?));
    server.transport_config(Arc::new(transport));
    server.max_incoming(config.max_connections as usize);
    Ok(server)
}
