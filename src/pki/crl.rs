//! Certificate revocation lists: `GET /crl/{caName}.crl`, DER, signed by the CA.
//!
//! A CRL is re-signed when a revocation is added or the hour changes (thisUpdate is the start
//! of the current hour, nextUpdate a day later); otherwise the last one is served.

use super::error::PkiError;
use super::world::Ca;
use super::Pki;
use bytes::Bytes;
use time::OffsetDateTime;

pub(super) struct CachedCrl {
    revoked: usize,
    hour: i64,
    der: Bytes,
}

impl Pki {
    /// The CA's current CRL. It is re-signed when a revocation is added or the hour changes
    /// (thisUpdate is the start of the current hour, nextUpdate a day later).
    pub fn crl_der(&self, ca: &Ca) -> Result<Bytes, PkiError> {
        let name = &ca.spec.name;
        let keys = self.model().revoked(name)?;
        let now = self.inner.clock.now();
        let hour = now.unix_timestamp().div_euclid(3600);
        let mut cache = crate::sync::lock(&self.inner.crl_cache);
        if let Some(c) = cache.get(name) {
            if c.revoked == keys.len() && c.hour == hour {
                return Ok(c.der.clone());
            }
        }
        let revoked: Vec<crate::crypto::x509::Revoked> = keys
            .iter()
            .map(|r| crate::crypto::x509::Revoked {
                serial: r.serial,
                at: r.revoked_at.unwrap_or(now),
                reason: r.revoke_reason.unwrap_or(0),
            })
            .collect();
        let this_update = OffsetDateTime::from_unix_timestamp(hour * 3600).unwrap_or(now);
        let der = crate::crypto::x509::make_crl(
            &ca.signer,
            &revoked,
            revoked.len() as u64 + 1,
            this_update,
        )
        .map_err(|e| PkiError::internal("signing the CRL", e))?;
        let der = Bytes::from(der);
        cache.insert(
            name.clone(),
            CachedCrl {
                revoked: keys.len(),
                hour,
                der: der.clone(),
            },
        );
        Ok(der)
    }
}
