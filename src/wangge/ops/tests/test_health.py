import pytest

from .helpers import django_json, production_env, run_python


@pytest.mark.django_db
def test_healthz_answers_without_session_or_known_host(client):
    r = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a probe by address
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_checks_database_and_queue(client):
    r = client.get("/readyz/")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert body["checks"]["database"]["ok"] and body["checks"]["queue"]["ok"]


@pytest.mark.django_db
def test_readyz_503_names_the_queue_when_redis_is_down(client, monkeypatch):
    from huey import RedisHuey
    from huey.contrib import djhuey

    # A real Redis client towards a port where nothing listens.
    monkeypatch.setattr(djhuey, "HUEY", RedisHuey("down", url="redis://127.0.0.1:1/0"))
    r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "fail" and body["failed"] == ["queue"]
    assert body["checks"]["database"]["ok"] is True
    assert "Connection" in body["checks"]["queue"]["error"]


def test_readyz_503_names_the_database_when_postgres_is_down():
    env = production_env(DATABASE_URL="postgres://wangge@127.0.0.1:1/wangge", WANGGE_TLS="0")
    out = django_json(
        "from django.test import Client\n"
        "r = Client().get('/readyz')\n"
        "out = {'status': r.status_code, 'body': r.json(), 'health': Client().get('/healthz').status_code}",
        env,
    )
    assert out["status"] == 503
    assert out["body"]["failed"] == ["database"]
    assert out["body"]["checks"]["queue"]["ok"] is True  # SQLite queue file under var/
    assert out["health"] == 200


@pytest.mark.parametrize(
    "key, reason",
    [
        (None, "未设置"),
        ("insecure-demo-key-change-me-in-production", "演示用的默认值"),
        ("short-key", "太短"),
    ],
)
def test_production_refuses_an_insecure_secret_key(key, reason):
    env = production_env(DATABASE_URL="postgres://127.0.0.1:5432/x")
    if key is None:
        del env["WANGGE_SECRET_KEY"]
    else:
        env["WANGGE_SECRET_KEY"] = key
    proc = run_python("import django; django.setup()", env)
    assert proc.returncode != 0
    assert "ImproperlyConfigured" in proc.stderr
    assert "拒绝启动" in proc.stderr and reason in proc.stderr


def test_production_refuses_missing_personal_data_keys_and_sqlite():
    env = production_env(DATABASE_URL="sqlite:////tmp/x.sqlite3")
    del env["WANGGE_HASH_KEY"]
    env["WANGGE_DATA_KEYS"] = "abc"
    proc = run_python("import django; django.setup()", env)
    assert proc.returncode != 0
    assert "WANGGE_HASH_KEY 未设置" in proc.stderr
    assert "WANGGE_DATA_KEYS 必须是 64 位十六进制" in proc.stderr
    env.update(WANGGE_HASH_KEY="ab" * 32, WANGGE_DATA_KEYS="cd" * 32)
    proc = run_python("import django; django.setup()", env)
    assert proc.returncode != 0 and "PostgreSQL" in proc.stderr


def test_demo_mode_starts_with_the_demo_key():
    env = production_env(
        DATABASE_URL="sqlite:////tmp/x.sqlite3",
        WANGGE_DEMO="1",
        WANGGE_SECRET_KEY="insecure-demo-key-change-me-in-production",
    )
    out = django_json("from django.conf import settings\nout = settings.DEBUG", env)
    assert out is False


def test_production_settings_from_the_environment():
    env = production_env(
        DATABASE_URL="postgres://wangge@db.internal:6432/wangge",
        WANGGE_PGBOUNCER="1",
        WANGGE_REDIS_URL="redis://127.0.0.1:6379/13",
        WANGGE_ALLOWED_HOSTS="wangge.example.cn",
        WANGGE_REPLICA_URL="postgres://wangge@replica.internal:5432/wangge",
    )
    out = django_json(
        "from django.conf import settings as s\n"
        "db = s.DATABASES['default']\n"
        "out = dict(debug=s.DEBUG, hosts=s.ALLOWED_HOSTS, proxy=s.SECURE_PROXY_SSL_HEADER,\n"
        "  cookie=s.SESSION_COOKIE_SECURE, csrf=s.CSRF_COOKIE_SECURE, hsts=s.SECURE_HSTS_SECONDS,\n"
        "  age=db['CONN_MAX_AGE'], cursors=db['DISABLE_SERVER_SIDE_CURSORS'],\n"
        "  options=db['OPTIONS'], port=db['PORT'], huey=s.HUEY['huey_class'],\n"
        "  cache=s.CACHES['default']['BACKEND'], routers=s.DATABASE_ROUTERS,\n"
        "  replica=s.DATABASES['replica']['HOST'], mw=s.MIDDLEWARE[:2])",
        env,
    )
    assert out["debug"] is False
    assert out["hosts"] == ["wangge.example.cn"]
    assert out["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert out["cookie"] and out["csrf"] and out["hsts"] == 31536000
    assert out["age"] == 0 and out["cursors"] is True  # PgBouncer transaction pooling
    assert "options" not in out["options"]  # no startup parameters through PgBouncer
    assert out["port"] == 6432
    assert out["huey"] == "huey.RedisHuey"
    assert out["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert out["routers"] == ["wangge.ops.routers.ReplicaRouter"]
    assert out["replica"] == "replica.internal"
    assert out["mw"] == ["wangge.ops.routers.ReplicaPinMiddleware", "wangge.ops.health.HealthMiddleware"]


def test_json_logs_on_stdout():
    env = production_env(DATABASE_URL="postgres://127.0.0.1:5432/x")
    proc = run_python(
        "import django, logging; django.setup()\n"
        "logging.getLogger('wangge.cases').warning('已派遣 %s', 12, extra={'case_id': 12})",
        env,
    )
    assert proc.returncode == 0, proc.stderr
    import json

    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["logger"] == "wangge.cases"
    assert line["message"] == "已派遣 12" and line["case_id"] == 12
