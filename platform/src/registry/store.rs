//! Where the registry lives: one transaction's view of the stored registry
//! ([`RegistryTx`]) and the store that runs the work ([`RegistryStore`]).

use medcode::InsuredId;
use medcode::error::Result;
use medcode::time::UnixTime;

use crate::registry::{AuditEntry, Binding, IdHash, MutualAidFiling, Person};

/// One transaction's view of the stored registry. Every method reads or
/// writes within the transaction [`RegistryStore::write`] or
/// [`RegistryStore::read`] opened; nothing is visible to others before the
/// work returns `Ok`, and nothing is kept when it returns `Err`.
pub trait RegistryTx {
    /// A meta value (such as the secret's fingerprint).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn meta(&mut self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores a new meta value; fails if the key exists.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the key exists or the store cannot
    /// write the value.
    fn insert_meta(&mut self, key: &str, value: &[u8]) -> Result<()>;
    /// The person with this identifier.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn person(&mut self, insured: &InsuredId) -> Result<Option<Person>>;
    /// The identifier of the person with this ID-number hash.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn person_by_id_hash(&mut self, hash: &IdHash) -> Result<Option<InsuredId>>;
    /// Stores a new person; fails if the identifier or hash exists.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the identifier or the ID-number hash
    /// exists or the store cannot write the person.
    fn insert_person(&mut self, person: &Person) -> Result<()>;
    /// Rewrites a person's status, scheme, activation and cross-province
    /// switch (identifier, name, hash and region never change).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when no such person is stored or the store
    /// cannot write the change.
    fn update_person(&mut self, person: &Person) -> Result<()>;
    /// The active binding of `member` to `owner`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn active_binding(&mut self, owner: &InsuredId, member: &InsuredId) -> Result<Option<Binding>>;
    /// The owner's active bindings, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn bindings_of_owner(&mut self, owner: &InsuredId) -> Result<Vec<Binding>>;
    /// The member's active bindings, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn bindings_of_member(&mut self, member: &InsuredId) -> Result<Vec<Binding>>;
    /// Stores a new active binding.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot write the binding.
    fn insert_binding(&mut self, binding: &Binding) -> Result<()>;
    /// Ends the active binding of `member` to `owner`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when there is no active binding of `member`
    /// to `owner` or the store cannot write the change.
    fn end_binding(&mut self, owner: &InsuredId, member: &InsuredId, at: UnixTime) -> Result<()>;
    /// The mutual-aid filing in force for `owner` and `member`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn active_filing(
        &mut self,
        owner: &InsuredId,
        member: &InsuredId,
    ) -> Result<Option<MutualAidFiling>>;
    /// Stores a new filing.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot write the filing.
    fn insert_filing(&mut self, filing: &MutualAidFiling) -> Result<()>;
    /// Ends the filing in force for `owner` and `member`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when no filing is in force for `owner` and
    /// `member` or the store cannot write the change.
    fn end_filing(&mut self, owner: &InsuredId, member: &InsuredId, at: UnixTime) -> Result<()>;
    /// Appends to the audit log (`seq` is assigned by the store and ignored
    /// here).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot write the entry.
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<()>;
    /// The whole audit log, in order.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the store cannot read it.
    fn audit_log(&mut self) -> Result<Vec<AuditEntry>>;
}

/// Where the registry lives. Implementations must make [`write`] a
/// serializable transaction even across processes (the binding limits rely
/// on it) and may run `work` again after a transient conflict, which is why
/// it is `FnMut`.
///
/// [`write`]: RegistryStore::write
pub trait RegistryStore: Send + Sync {
    /// Runs `work` in one write transaction: committed if it returns `Ok`,
    /// rolled back entirely if it returns `Err`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the transaction cannot be begun or
    /// committed; any error `work` returns, after rolling back.
    fn write(&self, work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>) -> Result<()>;
    /// Runs `work` in one read-only transaction (a consistent snapshot).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](medcode::Error::Storage) (`storage`) when the transaction cannot be begun or
    /// ended; any error `work` returns.
    fn read(&self, work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>) -> Result<()>;
}
