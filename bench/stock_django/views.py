"""One raw INSERT of the request body, as bench/submit_burst_server/views.py's bare endpoint does."""

from django.db import connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_raw (body) VALUES (%s::jsonb)", [request.body.decode("utf-8")])
    return HttpResponse(status=201)


def noop(request):
    """What a load thread sends once its lines are used up (never counted)."""
    return HttpResponse(status=204)
