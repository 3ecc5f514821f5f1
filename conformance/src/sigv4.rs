//! Signing requests for AWS: Signature Version 4 through `aws-sigv4` (AWS's own signer, already
//! in the SDK's dependency tree), with credentials from the usual environment variables.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

/// Credentials and region to sign with.
#[derive(Clone)]
pub struct Signer {
    credentials: Credentials,
    region: String,
    service: String,
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str, token: Option<String>, region: &str) -> Self {
        Signer {
            credentials: Credentials::new(access_key, secret_key, token, None, "conformance"),
            region: region.into(),
            service: "dynamodb".into(),
        }
    }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and `AWS_REGION`
    /// (or `AWS_DEFAULT_REGION`, or the region in a `dynamodb.<region>.amazonaws.com` host).
    pub fn from_env(host: &str) -> Option<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .or_else(|| {
                host.strip_prefix("dynamodb.")
                    .and_then(|r| r.split('.').next())
                    .map(str::to_string)
            })?;
        Some(Signer::new(
            &var("AWS_ACCESS_KEY_ID")?,
            &var("AWS_SECRET_ACCESS_KEY")?,
            var("AWS_SESSION_TOKEN"),
            &region,
        ))
    }

    #[doc(hidden)]
    pub fn with_service(mut self, service: &str) -> Self {
        self.service = service.into();
        self
    }

    /// The headers to add (`authorization`, `x-amz-date`, and `x-amz-security-token` with a
    /// session token) to a request with these headers and body.
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        at: SystemTime,
    ) -> Result<Vec<(String, String)>, String> {
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.service)
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let request = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's SigV4 test suite, `post-vanilla` (the expected signature also checked with an
    /// independent stdlib HMAC computation).
    #[test]
    fn signs_the_aws_test_suite_post_vanilla_request() {
        let signer = Signer::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            "us-east-1",
        )
        .with_service("service");
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        let headers = signer
            .sign(
                "POST",
                "https://example.amazonaws.com/",
                &[("host", "example.amazonaws.com")],
                b"",
                at,
            )
            .unwrap();
        let get = |k: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(
            get("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
            )
        );
    }
}
