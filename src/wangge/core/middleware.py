"""Pages answer domain errors the way the API does: a DomainError that leaves
a page view (a selector's "not found or not yours", a refused move) becomes
its status with the Chinese message, never a 500. The API has its own
handler (wangge.api) and never reaches this."""

from django.shortcuts import render

from wangge.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        template = "404.html" if exception.status == 404 else "domain_error.html"
        return render(request, template, {"error": exception}, status=exception.status)
