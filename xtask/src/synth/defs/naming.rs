//! Claiming names that cannot clash: a proto full name, and the Rust type or module name prost
//! derives from it, are taken at most once in each scope.

use anyhow::{Result, bail};
use prost_types::DescriptorProto;

use super::Synth;
use crate::regen::model::{to_snake, to_upper_camel};
use crate::synth::proto::{Enum, Message};

impl Synth {
    pub(super) fn claim_core_message(&mut self, scope: &str, msg: &DescriptorProto) {
        self.claim(scope, msg.name());
        let full = format!("{scope}.{}", msg.name());
        for en in &msg.enum_type {
            self.claim(&full, en.name());
            for value in &en.value {
                self.taken.insert(format!("{full}.{}", value.name()));
            }
        }
        for nested in &msg.nested_type {
            self.claim_core_message(&full, nested);
        }
    }

    /// Claims `name` in proto scope `scope` unless it, or a name prost would turn into the same
    /// Rust type or module there, is taken.
    pub(super) fn claim(&mut self, scope: &str, name: &str) -> bool {
        let keys = [
            format!("{scope}.{name}"),
            format!("{scope}#T:{}", to_upper_camel(name)),
            format!("{scope}#M:{}", to_snake(name)),
        ];
        if keys.iter().any(|k| self.taken.contains(k)) {
            return false;
        }
        self.taken.extend(keys);
        true
    }

    /// Claims a name that must be free (a quirk the tree needs under exactly this name).
    pub(super) fn claim_exact(&mut self, scope: &str, name: &str) -> Result<()> {
        if !self.claim(scope, name) {
            bail!("{scope}.{name} is already defined");
        }
        Ok(())
    }

    pub(super) fn exists(&self, full: &str) -> bool {
        self.taken.contains(full)
    }

    /// Claims a whole explicitly written message (and what it nests) in `scope`.
    pub(super) fn define(&mut self, scope: &str, msg: Message) -> Result<Message> {
        self.claim_exact(scope, &msg.name)?;
        let full = format!("{scope}.{}", msg.name);
        for en in &msg.enums {
            self.define_enum(&full, en)?;
        }
        for nested in &msg.messages {
            self.define(&full, nested.clone())?;
        }
        Ok(msg)
    }

    pub(super) fn define_enum(&mut self, scope: &str, en: &Enum) -> Result<()> {
        self.claim_exact(scope, &en.name)?;
        for (value, _) in &en.values {
            if !self.taken.insert(format!("{scope}.{value}")) {
                bail!("enum value {scope}.{value} is already defined");
            }
        }
        Ok(())
    }
}
