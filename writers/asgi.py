import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
# Files the web writes (uploads, the SQLite database) are private (writers/settings.py).
os.umask(0o077)
application = get_asgi_application()
