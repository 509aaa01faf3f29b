"""The ceiling: an endpoint on the same server and middleware stack that only inserts the raw JSON body."""

from django.db import connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from runxin.access.decorators import public


@csrf_exempt
@public
def bare(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_raw (body) VALUES (%s::jsonb)", [request.body.decode("utf-8")])
    return HttpResponse(status=201)


@public
def noop(request):
    """What a load thread sends once its students are used up (never counted as a submission)."""
    return HttpResponse(status=204)
