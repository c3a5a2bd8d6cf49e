//! The replay-guard contract (tests/support/replay_contract.rs) run against
//! each guard: the in-memory one, the file guard (two handles on one
//! temporary file where guards share a store) and Redis (a real
//! redis-server, skipped loudly where there is none).

mod support;

use support::replay_contract as contract;

mod memory {
    use super::contract;
    use medcode::replay::MemoryReplayGuard;

    #[test]
    fn second_presentation_is_replayed() {
        contract::second_presentation_is_replayed(&MemoryReplayGuard::new());
    }

    #[test]
    fn token_ids_with_the_top_bit_set_are_codes_like_any_other() {
        contract::token_ids_with_the_top_bit_set_are_codes_like_any_other(&MemoryReplayGuard::new());
    }

    #[test]
    fn an_expired_record_is_swept() {
        contract::an_expired_record_is_swept(&MemoryReplayGuard::new(), |t| t.plus(1));
    }

    #[test]
    fn capacity_is_a_hard_limit_until_codes_expire() {
        let g = MemoryReplayGuard::with_capacity(3);
        contract::capacity_is_a_hard_limit_until_codes_expire(&g, || g.len());
    }

    #[test]
    fn many_threads_one_code_exactly_one_acceptance() {
        let g = [MemoryReplayGuard::new()];
        contract::many_threads_one_code_exactly_one_acceptance(&g, 16, 500);
        assert_eq!(g[0].len(), 500);
    }
}

mod file {
    use super::contract;
    use medcode::replay::FileReplayGuard;
    use tempfile::TempDir;

    /// A guard on a new store file in a temporary directory, kept while
    /// the directory lives.
    fn guard() -> (TempDir, FileReplayGuard) {
        let dir = tempfile::tempdir().unwrap();
        let g = FileReplayGuard::open(&dir.path().join("seen.db")).unwrap();
        (dir, g)
    }

    #[test]
    fn second_presentation_is_replayed() {
        let (_dir, g) = guard();
        contract::second_presentation_is_replayed(&g);
    }

    #[test]
    fn token_ids_with_the_top_bit_set_are_codes_like_any_other() {
        let (_dir, g) = guard();
        contract::token_ids_with_the_top_bit_set_are_codes_like_any_other(&g);
        assert_eq!(g.len().unwrap(), 3);
    }

    #[test]
    fn an_expired_record_is_swept() {
        let (_dir, g) = guard();
        contract::an_expired_record_is_swept(&g, |t| t.plus(1));
    }

    #[test]
    fn capacity_is_a_hard_limit_until_codes_expire() {
        let (_dir, g) = guard();
        let g = g.with_capacity(3);
        contract::capacity_is_a_hard_limit_until_codes_expire(&g, || g.len().unwrap());
    }

    /// Two guards on one file (two handles, as two processes would
    /// have), each shared by four threads.
    #[test]
    fn many_threads_one_code_exactly_one_acceptance() {
        let (dir, first) = guard();
        let second = FileReplayGuard::open(&dir.path().join("seen.db")).unwrap();
        let guards = [first, second];
        contract::many_threads_one_code_exactly_one_acceptance(&guards, 8, 150);
        assert_eq!(guards[0].len().unwrap(), 150);
        assert_eq!(guards[1].len().unwrap(), 150);
    }
}

#[cfg(feature = "redis")]
mod redis {
    use std::time::Duration;

    use super::contract;
    use super::support::redis_server::RedisServer;
    use medcode::replay::RedisReplayGuard;

    #[test]
    fn second_presentation_is_replayed() {
        let Some(redis) = RedisServer::start("redis::second_presentation_is_replayed") else {
            return;
        };
        contract::second_presentation_is_replayed(&RedisReplayGuard::new(&redis.url()).unwrap());
    }

    #[test]
    fn token_ids_with_the_top_bit_set_are_codes_like_any_other() {
        let Some(redis) =
            RedisServer::start("redis::token_ids_with_the_top_bit_set_are_codes_like_any_other")
        else {
            return;
        };
        let g = RedisReplayGuard::new(&redis.url()).unwrap();
        contract::token_ids_with_the_top_bit_set_are_codes_like_any_other(&g);
    }

    /// Redis expires a record itself: `until == now` keeps it for the rest
    /// of that second (1000 ms).
    #[test]
    fn an_expired_record_is_swept() {
        let Some(redis) = RedisServer::start("redis::an_expired_record_is_swept") else {
            return;
        };
        let g = RedisReplayGuard::new(&redis.url()).unwrap();
        contract::an_expired_record_is_swept(&g, |t| {
            std::thread::sleep(Duration::from_millis(1300));
            t
        });
    }

    /// Two guards (two pools, as two tills would have), eight threads each.
    #[test]
    fn many_threads_one_code_exactly_one_acceptance() {
        let Some(redis) = RedisServer::start("redis::many_threads_one_code_exactly_one_acceptance")
        else {
            return;
        };
        let guards = [
            RedisReplayGuard::new(&redis.url()).unwrap(),
            RedisReplayGuard::new(&redis.url())
                .unwrap()
                .with_max_idle(2),
        ];
        contract::many_threads_one_code_exactly_one_acceptance(&guards, 16, 300);
        let keys: u64 = ::redis::cmd("DBSIZE").query(&mut redis.client(0)).unwrap();
        assert_eq!(keys, 300);
    }
}
