from django.http import HttpResponse


def overview(request):
    return HttpResponse("asbhub")


def latest_asb_geojson(request):
    return HttpResponse("{}", content_type="application/geo+json")
