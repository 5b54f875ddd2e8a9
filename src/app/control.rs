//! The app as the control plane sees it: the narrow [`Control`] handle `admin` is written
//! against.

use super::{App, StartError};
use crate::admin::{Control, LoadError};
use crate::config::ScenarioSource;
use crate::pipeline::Shared;

impl From<StartError> for LoadError {
    fn from(e: StartError) -> LoadError {
        match e {
            StartError::Scenario(problems) => LoadError::Problems(problems),
            StartError::Switch(e) => LoadError::Store(e),
            other => LoadError::Failed(other.to_string()),
        }
    }
}

impl Control for App {
    fn shared(&self) -> &Shared {
        &self.shared
    }
    fn pki(&self) -> Option<crate::pki::Pki> {
        App::pki(self)
    }
    fn podpishi(&self) -> Option<crate::podpishi::Podpishi> {
        App::podpishi(self)
    }
    fn scenario_name(&self) -> String {
        App::scenario_name(self)
    }
    fn scenario_source(&self) -> ScenarioSource {
        App::scenario_source(self)
    }
    fn load(&self, source: ScenarioSource) -> Result<(), LoadError> {
        Ok(App::load(self, source)?)
    }
    fn reset(&self) -> Result<(), LoadError> {
        Ok(App::reset(self)?)
    }
    fn run_due(&self) {
        App::run_due(self)
    }
    fn store_mode(&self) -> String {
        App::store_mode(self)
    }
    fn store(&self) -> crate::store::Store {
        App::store(self)
    }
    fn uptime_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
    fn admin_access(&self) -> crate::config::AdminAccess<'_> {
        self.config.admin_access()
    }
    fn public_url(&self) -> String {
        self.base_url.clone()
    }
    fn tls_root(&self) -> Option<String> {
        App::tls_root(self)
    }
    fn portability(&self) -> crate::portability::Policy {
        App::portability(self)
    }
    fn fault_problems(&self, rule: &crate::faults::FaultRule) -> Vec<(String, String)> {
        App::fault_problems(self, rule)
    }
}
