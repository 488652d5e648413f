//! The database URL, read as libpq reads it, and TLS to the database as its `sslmode` asks:
//!
//! - `disable`: plain TCP;
//! - `prefer` (the default): TLS when the server offers it, else plain; the certificate is not
//!   checked (as libpq);
//! - `require`: TLS or no connection; the certificate is checked against `sslrootcert` when
//!   the URL names one (as libpq), else not;
//! - `verify-ca`: TLS, the certificate signed by `sslrootcert`'s authorities (else the public
//!   web's);
//! - `verify-full`: as `verify-ca`, and issued for the host connected to.
//!
//! `tokio-postgres` knows only the first three modes and not `sslrootcert`, so both are taken
//! out of the URL here and become the TLS connector's settings.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, ErrorCode, Result};

/// How a database URL asks the connection to be protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// A database URL: the driver's settings and the TLS connector its `sslmode` asks for.
pub(super) struct DatabaseUrl {
    pub(super) config: tokio_postgres::Config,
    pub(super) tls: MakeRustlsConnect,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Config {
        code: ErrorCode::InvalidSetting,
        message: message.into(),
    }
}

/// Reads `url` (`postgres://user:password@host:port/database?sslmode=...`).
pub(super) fn parse(url: &str) -> Result<DatabaseUrl> {
    let not_postgres = || {
        invalid("The database URL is not a PostgreSQL URL: write it as postgres://user:password@host:5432/database.")
    };
    let mut parsed = reqwest::Url::parse(url).map_err(|_| not_postgres())?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(not_postgres());
    }
    let mut mode = SslMode::Prefer;
    let mut root_file = None;
    let mut kept = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match &*key {
            "sslmode" => {
                mode = match &*value {
                    "disable" => SslMode::Disable,
                    "allow" | "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => {
                        return Err(invalid(format!(
                            "The database URL's sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full."
                        )))
                    }
                }
            }
            "sslrootcert" => root_file = Some(value.into_owned()),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    // libpq checks the certificate under `require` too when given authorities to check it by.
    if mode == SslMode::Require && root_file.is_some() {
        mode = SslMode::VerifyCa;
    }
    let driver_mode = match mode {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => "require",
    };
    kept.push(("sslmode".to_owned(), driver_mode.to_owned()));
    parsed.query_pairs_mut().clear().extend_pairs(kept);
    let config: tokio_postgres::Config = parsed.as_str().parse().map_err(|_| not_postgres())?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(Error::internal)?;
    let tls = match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(authorities(root_file.as_deref())?);
            if mode == SslMode::VerifyFull {
                builder.with_root_certificates(roots).with_no_client_auth()
            } else {
                let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(Error::internal)?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AnyName(verifier)))
                    .with_no_client_auth()
            }
        }
    };
    Ok(DatabaseUrl {
        config,
        tls: MakeRustlsConnect::new(tls),
    })
}

/// The authorities a server's certificate may be signed by: those of the PEM file `path`,
/// else the public web's.
fn authorities(path: Option<&str>) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let Some(path) = path else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let unreadable = || {
        invalid(format!(
            "The database URL's sslrootcert {path:?} is not a readable file of PEM certificates."
        ))
    };
    for certificate in CertificateDer::pem_file_iter(path).map_err(|_| unreadable())? {
        roots
            .add(certificate.map_err(|_| unreadable())?)
            .map_err(|_| unreadable())?;
    }
    if roots.is_empty() {
        return Err(unreadable());
    }
    Ok(roots)
}

/// Encryption without checking who the server is (`prefer`, `require`), as libpq does; the
/// handshake's signatures are still verified.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A certificate signed by the given authorities, for whatever host (`verify-ca`).
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_modes_are_read_and_only_the_driver_s_reach_it() {
        let url =
            parse("postgres://u:p@db.example:6543/docent?sslmode=verify-full&application_name=x")
                .unwrap();
        assert_eq!(
            url.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(url.config.get_dbname(), Some("docent"));
        assert_eq!(url.config.get_application_name(), Some("x"));
        let plain = parse("postgresql://u@db.example/docent?sslmode=disable").unwrap();
        assert_eq!(
            plain.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
        let default = parse("postgres://u@db.example/docent").unwrap();
        assert_eq!(
            default.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Prefer
        );
        for bad in [
            "mysql://u@db/x",
            "postgres://u@db/x?sslmode=sometimes",
            "postgres://u@db/x?sslmode=require&sslrootcert=/nonexistent/ca.pem",
            "not a url",
        ] {
            assert!(
                matches!(
                    parse(bad),
                    Err(Error::Config {
                        code: ErrorCode::InvalidSetting,
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    /// Against a server that takes TLS connections only, with a certificate of a test
    /// authority: each mode connects, or refuses to, as libpq would.
    #[tokio::test]
    async fn the_connection_is_protected_as_the_url_asks() {
        use crate::store::Store;

        let server = docent_test_support::postgres::TestPostgres::own_with_tls();
        let base = server.fresh_database();
        let open = |query: String| {
            let url = format!("{base}?{query}");
            async move { Store::open_postgres(&url).await }
        };
        let authority = server.authority().display().to_string();
        let other = server.other_authority().display().to_string();
        assert!(
            open("sslmode=disable".into()).await.is_err(),
            "the server takes no connection without TLS"
        );
        for query in [
            "sslmode=prefer".to_owned(),
            "sslmode=require".to_owned(),
            format!("sslmode=require&sslrootcert={authority}"),
            format!("sslmode=verify-ca&sslrootcert={authority}"),
            format!("sslmode=verify-full&sslrootcert={authority}"),
        ] {
            let store = open(query.clone())
                .await
                .unwrap_or_else(|e| panic!("{query}: {e:?}"));
            store.ping().await.unwrap();
        }
        for query in [
            format!("sslmode=require&sslrootcert={other}"),
            format!("sslmode=verify-ca&sslrootcert={other}"),
            format!("sslmode=verify-full&sslrootcert={other}"),
            // The public web's authorities did not sign the test's certificate.
            "sslmode=verify-full".to_owned(),
        ] {
            assert!(
                open(query.clone()).await.is_err(),
                "{query} must refuse the server"
            );
        }
    }
}
