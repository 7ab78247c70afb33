//! TLS for [`PostgresStore`](super::PostgresStore), chosen by the URL as libpq chooses it.
//!
//! tokio-postgres understands `sslmode=disable|prefer|require` and nothing of certificate
//! checks; libpq's `verify-ca`, `verify-full` and `sslrootcert` are read here, taken out
//! of the URL before the driver parses it, and become a rustls configuration:
//!
//! | URL | encrypted | certificate checked |
//! |---|---|---|
//! | `sslmode=disable` | no | — |
//! | `prefer` (the default), `require` | when the server offers it / always | no (as libpq, unless a root certificate is given: then as `verify-ca`) |
//! | `verify-ca` | always | chain to a trusted root |
//! | `verify-full` | always | chain and host name |
//!
//! Roots: `sslrootcert=FILE` (PEM) or [`PostgresConfig::with_ca_file`](crate::PostgresConfig::with_ca_file);
//! `sslrootcert=system`, or a verifying mode without a root file, uses the system's store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres::config::SslMode;

/// What the URL asked of TLS beyond what tokio-postgres parses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct UrlTls {
    /// `verify-ca` / `verify-full`, when given (the driver then sees `require`).
    pub verify: Option<Verify>,
    /// `sslrootcert`: a PEM file, or `None` for `system`.
    pub root: Option<Root>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    Chain,
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Root {
    File(PathBuf),
    System,
}

/// Takes libpq's TLS settings that tokio-postgres does not know out of `url` (both the
/// `postgres://…?k=v&…` and the `k=v k=v` forms), returning what the driver can parse.
pub(crate) fn split_url(url: &str) -> (String, UrlTls) {
    let mut tls = UrlTls::default();
    let mut take = |key: &str, value: &str| -> Option<&'static str> {
        match (key, value) {
            ("sslmode", "verify-ca") => {
                tls.verify = Some(Verify::Chain);
                Some("require")
            }
            ("sslmode", "verify-full") => {
                tls.verify = Some(Verify::Full);
                Some("require")
            }
            ("sslrootcert", "system") => {
                tls.root = Some(Root::System);
                Some("")
            }
            ("sslrootcert", file) => {
                tls.root = Some(Root::File(file.into()));
                Some("")
            }
            _ => None,
        }
    };
    let rest = if let Some((base, query)) = url
        .split_once('?')
        .filter(|_| url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        let kept: Vec<String> = query
            .split('&')
            .filter_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                match take(k, &percent_decode(v)) {
                    Some("") => None,
                    Some(replacement) => Some(format!("{k}={replacement}")),
                    None => Some(pair.to_owned()),
                }
            })
            .collect();
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else if url.contains("://") {
        url.to_owned()
    } else {
        let mut out = String::with_capacity(url.len());
        for (raw, key, value) in key_values(url) {
            let kept = match take(key, &value) {
                Some("") => continue,
                Some(replacement) => format!("{key}={replacement}"),
                None => raw.to_owned(),
            };
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&kept);
        }
        out
    };
    (rest, tls)
}

/// `%XX` escapes of a URL query value (anything malformed is kept as written).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` pairs of a libpq keyword string: (the pair as written, key, unquoted
/// value). Values may be single-quoted with `\` escapes; spaces may surround `=`.
fn key_values(s: &str) -> Vec<(&str, &str, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let start = s.len() - rest.len();
        let Some(eq) = rest.find('=') else {
            // Not a pair: keep it for the driver to refuse.
            out.push((rest, "", String::new()));
            break;
        };
        let key = rest[..eq].trim();
        let mut after = rest[eq + 1..].trim_start();
        let mut value = String::new();
        if let Some(quoted) = after.strip_prefix('\'') {
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '\'' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            after = &quoted[end.min(quoted.len())..];
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            value.push_str(&after[..end]);
            after = &after[end..];
        }
        let consumed = s.len() - after.len();
        out.push((&s[start..consumed], key, value));
        rest = after.trim_start();
    }
    out
}

/// The rustls client configuration for a connection in `mode`, with the URL's TLS
/// settings and the configured CA file (which wins over `sslrootcert`).
pub(crate) fn client_config(
    mode: SslMode,
    url: &UrlTls,
    ca_file: Option<&Path>,
) -> Result<ClientConfig, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let root = match ca_file {
        Some(file) => Some(Root::File(file.to_owned())),
        None => url.root.clone(),
    };
    // libpq: a root certificate file turns `prefer`/`require` into `verify-ca`.
    let verify = match (url.verify, &root) {
        (Some(v), _) => Some(v),
        (None, Some(Root::File(_))) if mode != SslMode::Disable => Some(Verify::Chain),
        (None, _) => None,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Rustls)?;
    let config = match verify {
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
        Some(v) => {
            let roots = Arc::new(roots(root.as_ref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| TlsSetupError::Rustls(rustls::Error::General(e.to_string())))?;
            let verifier: Arc<dyn ServerCertVerifier> = match v {
                Verify::Full => webpki,
                Verify::Chain => Arc::new(ChainOnly(webpki)),
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
    };
    Ok(config)
}

fn roots(root: Option<&Root>) -> Result<RootCertStore, TlsSetupError> {
    let mut store = RootCertStore::empty();
    match root {
        Some(Root::File(path)) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| TlsSetupError::RootFile {
                    path: path.clone(),
                    source: Box::new(e),
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(TlsSetupError::NoRoots(path.display().to_string()));
            }
        }
        Some(Root::System) | None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(TlsSetupError::NoRoots(
                    "the system's certificate store".into(),
                ));
            }
        }
    }
    Ok(store)
}

/// Why the TLS settings of a PostgreSQL URL could not be put in place.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The root certificate file could not be read or is not PEM.
    #[error("cannot read the root certificate file {path}")]
    RootFile {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: session_core::BoxError,
    },
    /// No usable certificate in the named place.
    #[error("no usable root certificate in {0}")]
    NoRoots(String),
    /// rustls refused the configuration.
    #[error("TLS configuration refused")]
    Rustls(#[source] rustls::Error),
}

/// `verify-ca`: the chain must lead to a trusted root; the name in it is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` / `require` without a root certificate, as libpq: encrypted, with the
/// handshake's signatures checked, but any certificate accepted.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_form_loses_what_the_driver_cannot_parse() {
        let (rest, tls) = split_url(
            "postgres://u:p@db/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        );
        assert_eq!(
            rest,
            "postgres://u:p@db/app?sslmode=require&application_name=x"
        );
        assert_eq!(tls.verify, Some(Verify::Full));
        assert_eq!(tls.root, Some(Root::File("/etc/ca.pem".into())));

        let (rest, tls) = split_url("postgresql://db/app?sslrootcert=system");
        assert_eq!(rest, "postgresql://db/app");
        assert_eq!(
            tls,
            UrlTls {
                verify: None,
                root: Some(Root::System)
            }
        );

        let plain = "postgres://db/app?sslmode=require";
        assert_eq!(split_url(plain), (plain.to_owned(), UrlTls::default()));
    }

    #[test]
    fn keyword_form_keeps_quoting_and_order() {
        let (rest, tls) = split_url(
            r"host=db  sslmode = verify-ca password='it\'s' sslrootcert='/a b/ca.pem' dbname=app",
        );
        assert_eq!(rest, r"host=db sslmode=require password='it\'s' dbname=app");
        assert_eq!(tls.verify, Some(Verify::Chain));
        assert_eq!(tls.root, Some(Root::File("/a b/ca.pem".into())));
        let (rest, _) = split_url(r"password='a\' b' host=x");
        assert_eq!(rest, r"password='a\' b' host=x");
    }

    #[test]
    fn a_root_file_turns_require_into_verify_ca_and_bad_files_are_named() {
        let missing = Path::new("/nonexistent/ca.pem");
        let err = client_config(SslMode::Require, &UrlTls::default(), Some(missing)).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        assert!(client_config(SslMode::Require, &UrlTls::default(), None).is_ok());
        assert!(client_config(SslMode::Disable, &UrlTls::default(), None).is_ok());
    }
}
