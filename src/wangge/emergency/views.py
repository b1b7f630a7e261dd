from django.http import HttpResponse


def console_index(request):
    return HttpResponse("")


def worker_index(request):
    return HttpResponse("")
